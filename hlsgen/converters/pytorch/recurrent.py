"""``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` for the ONNX route.

PyTorch exports these as the sequence-major ONNX operators wrapped in Transposes of the
batch axis, which the ONNX frontend's layout tracking (batch first) does not represent.
So before the export, :func:`exporting` gives a copy of the model whose recurrent
modules export as one ``hlsgen:Recurrent`` node each, batch first, with the module's
weights (``hlsgen/converters/onnx/recurrent.py`` converts it).  The module objects,
their names and parameters stay as they are: only their ``forward`` is replaced on the
copy.  Supported: one layer, one direction, ``batch_first=True``, an initial state
(``hx``: h0, or (h0, c0) for an LSTM) given or not; the rest is refused naming the module.
An initial state is a data input of the node (PyTorch's shape (1, batch, hidden)): it must
come from the forward's inputs (a graph input of one sample's ``hidden`` values).
"""
from __future__ import annotations

import copy
import types

from .export import PyTorchConversionError, type_name

RECURRENT_MODULES = ("RNN", "LSTM", "GRU")
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _function():
    import torch

    class RecurrentExport(torch.autograd.Function):
        """Zeros of the module's output shapes when traced; one hlsgen:Recurrent node in ONNX."""

        @staticmethod
        def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, kind, hidden, activation, *states):
            n, t = x.shape[0], x.shape[1]
            h = x.new_zeros(1, n, hidden)
            return x.new_zeros(n, t, hidden), h, h.clone()

        @staticmethod
        def symbolic(g, x, w_ih, w_hh, b_ih, b_hh, kind, hidden, activation, *states):
            return g.op("hlsgen::Recurrent", x, w_ih, w_hh, b_ih, b_hh, *states, kind_s=kind, hidden_size_i=hidden,
                        activation_s=activation, outputs=3)

    return RecurrentExport


def _check(fqn, mod):
    what = f"module {fqn!r} ({type_name(mod)})"
    if mod.num_layers != 1:
        raise PyTorchConversionError(f"{what}: num_layers={mod.num_layers} is not supported; stack modules of one "
                                     "layer each")
    if mod.bidirectional:
        raise PyTorchConversionError(f"{what}: bidirectional=True is not supported")
    if not mod.batch_first:
        raise PyTorchConversionError(f"{what}: batch_first=False is not supported; build it with batch_first=True "
                                     "(inputs (batch, time, features))")
    if getattr(mod, "proj_size", 0):
        raise PyTorchConversionError(f"{what}: proj_size={mod.proj_size} is not supported")


def _forward(fn, kind):
    def forward(self, x, hx=None):
        states = () if hx is None else tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)
        if len(states) != (2 if kind == "LSTM" and states else len(states)):
            raise PyTorchConversionError(f"{type_name(self)}: the initial state of an LSTM is (h0, c0), got "
                                         f"{len(states)} tensor(s)")
        g = GATES[kind] * self.hidden_size
        b_ih = self.bias_ih_l0 if self.bias else self.weight_ih_l0.new_zeros(g)
        b_hh = self.bias_hh_l0 if self.bias else self.weight_ih_l0.new_zeros(g)
        act = getattr(self, "nonlinearity", "tanh")
        y, h, c = fn.apply(x, self.weight_ih_l0, self.weight_hh_l0, b_ih, b_hh, kind, self.hidden_size, act, *states)
        return (y, (h, c)) if kind == "LSTM" else (y, h)

    return forward


def exporting(model):
    """``model``, or a copy whose recurrent modules export as ``hlsgen:Recurrent`` nodes."""
    import torch

    found = [(f, m) for f, m in model.named_modules() if type(m).__name__ in RECURRENT_MODULES
             and isinstance(m, torch.nn.RNNBase)]
    if not found:
        return model
    for fqn, mod in found:
        _check(fqn, mod)
    model = copy.deepcopy(model)
    fn = _function()
    for fqn, mod in model.named_modules():
        kind = type(mod).__name__
        if kind in RECURRENT_MODULES and isinstance(mod, torch.nn.RNNBase):
            mod.forward = types.MethodType(_forward(fn, kind), mod)
    return model
