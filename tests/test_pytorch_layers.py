"""PyTorch frontend: nn.Upsample / F.interpolate (nearest), nn.ConstantPad1d/2d and F.pad,
torch.einsum between data tensors.  Data movement is exact, so the C simulation equals
PyTorch on inputs exact in the input type; every C simulation equals the numpy golden."""
import numpy as np
import pytest

import hlsgen
from hlsgen.converters.pytorch import PyTorchConversionError

from conftest import grid, needs_gxx

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
nn = torch.nn
F = torch.nn.functional


def run_torch(model, X):
    model.eval()
    with torch.no_grad():
        y = model(*[torch.tensor(x, dtype=torch.float32) for x in (X if isinstance(X, list) else [X])])
    return y.numpy().astype(np.float64)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *x):
        return self.fn(*x)


# ---------------------------------------------------------------------- upsampling
UPSAMPLE = {
    "upsample1d": (lambda: nn.Sequential(nn.Upsample(scale_factor=3), nn.ReLU()), (3, 5)),
    "upsample2d": (lambda: nn.Sequential(nn.Upsample(scale_factor=(2, 3), mode="nearest")), (2, 4, 5)),
    "nearest2d": (lambda: nn.Sequential(nn.UpsamplingNearest2d(scale_factor=2)), (3, 3, 4)),
    "interpolate": (lambda: Fn(lambda x: F.interpolate(x, scale_factor=(1, 2))), (2, 3, 4)),
    "interpolate_size": (lambda: Fn(lambda x: F.interpolate(x, size=(6, 8))), (2, 3, 4)),
}


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("which", list(UPSAMPLE))
def test_upsample_nearest(which, io_type, tmp_path):
    make, shape = UPSAMPLE[which]
    model = make().eval()
    X = grid(np.random.default_rng(1), (20,) + shape, -2, 2)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, shape, io_type=io_type, output_dir=tmp_path / "prj")
    assert [lay.kind for lay in hm.graph.layers if lay.kind.startswith("UpSampling")] == [f"UpSampling{len(shape) - 1}D"]
    y = hm.predict(X)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)  # a copy of exact inputs


@pytest.mark.parametrize("model, shape, match", [
    (nn.Sequential(nn.Upsample(scale_factor=(1, 2.5))), (2, 3, 4), r"scale factors \[1.0, 2.5\] are not supported"),
    (nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear")), (2, 3, 4), r"mode='linear' is not supported"),
    (Fn(lambda x: F.interpolate(x, size=(5, 8))), (2, 3, 4), r"sizes \[5, 8\] are not whole multiples"),
])
def test_upsample_refused(model, shape, match):
    with pytest.raises(PyTorchConversionError, match=match):
        hlsgen.convert_from_pytorch_model(model.eval(), shape)


# ---------------------------------------------------------------------- constant padding
PADS = {
    "constpad1d": (lambda: nn.Sequential(nn.ConstantPad1d((2, 3), 0.0)), (2, 4)),
    "constpad2d": (lambda: nn.Sequential(nn.ConstantPad2d((1, 2, 3, 4), 0), nn.ReLU()), (2, 3, 4)),
    "fpad2d": (lambda: Fn(lambda x: F.pad(x, (0, 1, 2, 0))), (3, 4, 4)),
    "zeropad2d": (lambda: nn.Sequential(nn.ZeroPad2d((1, 0, 0, 2))), (2, 3, 3)),
}


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("which", list(PADS))
def test_constant_pad(which, io_type, tmp_path):
    make, shape = PADS[which]
    model = make().eval()
    X = grid(np.random.default_rng(2), (20,) + shape, -2, 2)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, shape, io_type=io_type, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)


def test_constant_pad_value_refused():
    with pytest.raises(PyTorchConversionError, match=r"constant value 1.5 is not supported; only 0"):
        hlsgen.convert_from_pytorch_model(nn.Sequential(nn.ConstantPad1d(2, 1.5)).eval(), (2, 4))
