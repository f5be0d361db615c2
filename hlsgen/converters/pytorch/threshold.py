"""``nn.Threshold`` for the TorchScript exporter.

PyTorch's TorchScript exporter refuses ``aten::threshold`` with a non-zero threshold (its
torch.export-based exporter writes ``Where(LessOrEqual(x, t), v, x)``).  So before the
export, :func:`exporting` gives a copy of the model whose ``nn.Threshold`` modules compute
the same thing with ``torch.where(x <= t, v, x)``, t and v float tensors of the input's
dtype (as ``aten::threshold`` converts them), which both exporters write as that pattern;
``hlsgen/converters/onnx/patterns.py`` fuses it into one ``hlsgen:Threshold`` node.  The
module objects, their names and attributes stay as they are: only their ``forward`` is
replaced on the copy.  ``F.threshold`` called in a forward cannot be replaced so: such a
model is exported by the torch.export-based exporter (see export.py).
"""
from __future__ import annotations

import copy
import types


def _forward(self, x):
    import torch

    t = torch.tensor(self.threshold, dtype=x.dtype)
    v = torch.tensor(self.value, dtype=x.dtype)
    return torch.where(x <= t, v, x)


def exporting(model):
    """``model``, or a copy whose ``nn.Threshold`` modules export through ``torch.where``."""
    import torch

    if not any(isinstance(m, torch.nn.Threshold) for m in model.modules()):
        return model
    model = copy.deepcopy(model)
    for mod in model.modules():
        if isinstance(mod, torch.nn.Threshold):
            mod.forward = types.MethodType(_forward, mod)
    return model
