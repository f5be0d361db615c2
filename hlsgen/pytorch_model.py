"""The HLSModel of a PyTorch module: ``predict``, ``predict_golden`` and ``trace`` take and
give arrays in the PyTorch layout (``graph.torch_io``).  Everything else (files, the
project, the accelerator, its drivers) is the HLS model's own storage order, the one
``hm.graph`` and registers.json describe; convert with :func:`to_hls_layout`."""
from __future__ import annotations

import numpy as np

from .model import HLSModel, _add_batch, _first_sample


class PyTorchHLSModel(HLSModel):
    def _inputs(self, X, what="X"):
        io = self.graph.torch_io
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        names = list(io["inputs"])
        if len(xs) != len(names):
            raise ValueError(f"{what}: the model has {len(names)} input(s) ({', '.join(names)}), got {len(xs)} array(s)")
        out = []
        for name, x in zip(names, xs):
            x = np.asarray(x)
            want = tuple(io["input_shapes"][name])
            if x.ndim == len(want):  # one sample
                x = x[None]
            if tuple(x.shape[1:]) != want:
                layout = "channels-last" if io["channels_last"][name] else "PyTorch (channels-first)"
                raise ValueError(f"{what}: input {name!r} needs samples of shape {want} in the {layout} layout "
                                 f"(batch first), got an array of shape {x.shape}")
            out.append(np.transpose(x, io["inputs"][name]))
        return out if len(out) > 1 else out[0]

    def _outputs(self, ys):
        perms = list(self.graph.torch_io["outputs"].values())
        if isinstance(ys, (list, tuple)):
            return [np.transpose(np.asarray(y), p) for y, p in zip(ys, perms)]
        return np.transpose(np.asarray(ys), perms[0])

    def _one_sample(self, X) -> bool:
        """Every input array is one sample in the PyTorch layout, without a batch axis."""
        io = self.graph.torch_io
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        names = list(io["inputs"])
        return len(xs) == len(names) and all(np.ndim(x) == len(io["input_shapes"][n]) for x, n in zip(xs, names))

    def predict(self, X, top: bool | None = None):
        """Bit-accurate outputs, inputs and outputs in the PyTorch layout (N, C, H, W), or
        channels-last when converted with ``channels_last=True`` (or as hls4ml's
        ``channels_last_conversion`` / ``transpose_outputs`` choose); one sample without the
        batch axis gives its outputs without it."""
        if self._one_sample(X):
            return _first_sample(self.predict(_add_batch(X), top))
        return self._outputs(HLSModel.predict(self, self._inputs(X), top))

    def predict_golden(self, X, top: bool | None = None):
        if self._one_sample(X):
            return _first_sample(self.predict_golden(_add_batch(X), top))
        return self._outputs(HLSModel.predict_golden(self, self._inputs(X), top))

    def trace(self, X):
        """(outputs in the PyTorch layout, {module name: its output}); the per-layer outputs
        are in the HLS model's storage order (channels-last), batch first."""
        ys, tr = super().trace(self._inputs(X))
        return self._outputs(ys), tr


def as_pytorch_model(hm: HLSModel) -> PyTorchHLSModel:
    """The converted model with the PyTorch layout on its predict/trace (same object)."""
    hm.__class__ = PyTorchHLSModel  # build_model makes a plain HLSModel; this adds only methods
    return hm
