"""PyTorch frontend: nn.Upsample / F.interpolate (nearest), nn.ConstantPad1d/2d and F.pad,
nn.Threshold / F.threshold, max and average pooling with padding,
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
    "fractional2d": (lambda: nn.Sequential(nn.UpsamplingNearest2d(scale_factor=(1, 2.4))), (2, 6, 8)),
    "fractional1d": (lambda: nn.Sequential(nn.Upsample(scale_factor=1.5), nn.ReLU()), (2, 7)),
    "sizes_odd": (lambda: Fn(lambda x: F.interpolate(x, size=(5, 11))), (2, 3, 4)),
    "downsample": (lambda: Fn(lambda x: F.interpolate(x, scale_factor=0.5)), (2, 6, 8)),
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
    ups = [lay for lay in hm.graph.layers if lay.kind.startswith("UpSampling")]
    assert [lay.kind for lay in ups] == [f"UpSampling{len(shape) - 1}D"]
    assert ("rows" in ups[0].attrs) == (which in ("fractional2d", "fractional1d", "sizes_odd", "downsample"))
    y = hm.predict(X)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)  # a copy of exact inputs


@pytest.mark.parametrize("model, shape, match", [
    (nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear")), (2, 3, 4), r"mode='linear' is not supported"),
    (Fn(lambda x: F.interpolate(x, scale_factor=2, mode="bicubic")), (2, 3, 4), r"mode='cubic' is not supported"),
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


# ---------------------------------------------------------------------- einsum
class EinsumLinear(nn.Module):
    """A data tensor with itself after a Linear: 'ij,ij->i' (a dot product per sample)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        y = self.fc(x)
        return torch.einsum("ij,ij->i", y, y)


EINSUM = {
    "outer": ("bi,bj->bij", [(4,), (5,)]),
    "outer_transposed": ("bi,bj->bji", [(4,), (5,)]),
    "batch_matmul": ("bij,bjk->bik", [(2, 5), (5, 3)]),
    "matmul_bt": ("bij,bkj->bki", [(3, 4), (2, 4)]),
    "dot": ("bi,bi->b", [(7,), (7,)]),
}


def np_einsum(eq, xs):
    return np.einsum(eq, *xs)


@needs_gxx
@pytest.mark.parametrize("which", list(EINSUM))
def test_einsum(which, tmp_path):
    eq, shapes = EINSUM[which]
    model = Fn(lambda *x: torch.einsum(eq, *x)).eval()
    rng = np.random.default_rng(3)
    X = [grid(rng, (30,) + s, -2, 2, frac=4) for s in shapes]
    ref = np_einsum(eq, X)  # exact in float64: products of 2**-4 grids, short sums
    np.testing.assert_allclose(run_torch(model, X), ref, atol=1e-5)
    hm = hlsgen.convert_from_pytorch_model(model, shapes, output_dir=tmp_path / "prj")
    assert [lay.kind for lay in hm.graph.layers].count("Dot") == 1
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y.reshape(ref.shape), ref)  # exact: the default type holds every value


@needs_gxx
@pytest.mark.parametrize("conversion, transpose", [("internal", False), ("full", False), ("full", True)])
def test_einsum_output_stays_in_the_pytorch_layout(conversion, transpose, tmp_path):
    """hls4ml leaves an einsum's output untransposed under channels_last_conversion: a rank-3
    outer product comes back in PyTorch's order whatever transpose_outputs says."""
    eq, shapes = EINSUM["outer"]
    model = Fn(lambda *x: torch.einsum(eq, *x)).eval()
    rng = np.random.default_rng(4)
    X = [grid(rng, (20,) + s, -2, 2, frac=4) for s in shapes]
    ref = np_einsum(eq, X)
    cfg = hlsgen.config_from_pytorch_model(model, shapes, channels_last_conversion=conversion,
                                           transpose_outputs=transpose)
    hm = hlsgen.convert_from_pytorch_model(model, shapes, hls_config=cfg, output_dir=tmp_path / "prj")
    np.testing.assert_array_equal(hm.predict(X), ref)  # shape (20, 4, 5), PyTorch's order


@needs_gxx
@pytest.mark.parametrize("conversion", ["internal", "full"])
def test_einsum_inputs_stay_in_the_pytorch_layout(conversion, tmp_path):
    """hls4ml reads an einsum's rank-3 inputs in their PyTorch shape under either
    channels_last_conversion: predict takes them (N, 2, 5) and (N, 5, 3), not channels-last."""
    eq, shapes = EINSUM["batch_matmul"]
    model = Fn(lambda *x: torch.einsum(eq, *x)).eval()
    rng = np.random.default_rng(5)
    X = [grid(rng, (20,) + s, -2, 2, frac=4) for s in shapes]
    cfg = hlsgen.config_from_pytorch_model(model, shapes, channels_last_conversion=conversion)
    hm = hlsgen.convert_from_pytorch_model(model, shapes, hls_config=cfg, output_dir=tmp_path / "prj")
    np.testing.assert_array_equal(hm.predict(X), np_einsum(eq, X))
    with pytest.raises(ValueError, match=r"\(2, 5\) in the PyTorch \(channels-first\) layout"):
        hm.predict([x.transpose(0, 2, 1) for x in X])


@needs_gxx
def test_einsum_after_linear(tmp_path):
    model = EinsumLinear().eval()
    X = grid(np.random.default_rng(4), (50, 6), -1, 1)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, (6,), output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y.reshape(ref.shape) - ref).max() < 0.05


@pytest.mark.parametrize("eq, shapes, match", [
    ("bij,bik->bijk", [(2, 3), (2, 4)], r"not supported; only matrix products"),
    ("bij,bjk->bk", [(2, 3), (3, 4)], r"not supported; only matrix products"),
    ("bii,bi->bi", [(3, 3), (3,)], r"repeated letters"),
    ("...i,...i->...", [(3,), (3,)], r"ellipsis"),
    ("bij,bjk", [(2, 3), (3, 2)], r"same batch letter"),  # implicit output 'ik' sums over the batch
])
def test_einsum_refused(eq, shapes, match):
    model = Fn(lambda *x: torch.einsum(eq, *x)).eval()
    with pytest.raises(PyTorchConversionError, match=match):
        hlsgen.convert_from_pytorch_model(model, shapes)


def test_einsum_constant_operand_refused():
    class WithWeight(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3, 4))

        def forward(self, x):
            return torch.einsum("bi,ij->bj", x, self.w)

    with pytest.raises(PyTorchConversionError, match=r"only products of data tensors"):
        hlsgen.convert_from_pytorch_model(WithWeight().eval(), (3,))


# ---------------------------------------------------------------------- threshold
class ThresholdFn(nn.Module):
    def __init__(self, threshold, value):
        super().__init__()
        self.t, self.v = threshold, value

    def forward(self, x):
        return F.threshold(x, self.t, self.v)


THRESHOLD = {
    "module": (lambda: nn.Sequential(nn.Threshold(1.0, 0.0)), 1.0, 0.0),
    "module_neg_value": (lambda: nn.Sequential(nn.Threshold(0.3, -2.5), nn.ReLU6()), 0.3, -2.5),
    "module_neg_threshold": (lambda: nn.Sequential(nn.Threshold(-0.75, 1.25)), -0.75, 1.25),
    "functional": (lambda: ThresholdFn(0.3, -2.5), 0.3, -2.5),  # the torch.export-based exporter
    "functional_zero": (lambda: ThresholdFn(0.0, 0.5), 0.0, 0.5),
}


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("which", list(THRESHOLD))
def test_threshold(which, io_type, tmp_path):
    """y = x > t ? x : v exactly (inputs exact in the input type; t = 0.3 as float32 is not on
    the input grid, the comparison is still PyTorch's)."""
    make, t, v = THRESHOLD[which]
    model = make().eval()
    X = grid(np.random.default_rng(5), (40, 3, 5), -3, 3)
    X[0, 0, :] = [t, np.float32(t), 0.0, -0.75, 1.0]  # on and next to the thresholds
    X[0, 0, :] = np.round(X[0, 0, :] * 2**8) / 2**8
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, (3, 5), io_type=io_type, output_dir=tmp_path / "prj")
    thr = [lay for lay in hm.graph.layers if lay.kind == "Activation" and lay.attrs["activation"] == "threshold"]
    assert len(thr) == 1 and thr[0].attrs["threshold"] == float(np.float32(t)) and thr[0].attrs["value"] == v
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)


def test_threshold_module_keeps_the_torchscript_exporter(monkeypatch):
    """nn.Threshold is exported by the TorchScript exporter (through torch.where on a copy of
    the model); the user's module keeps its forward."""
    from hlsgen.converters.pytorch import export

    used = []
    orig = export._export
    monkeypatch.setattr(export, "_export", lambda *a: (used.append(a[3]), orig(*a))[1])
    model = nn.Sequential(nn.Linear(3, 3), nn.Threshold(0.5, -1.0)).eval()
    hm = hlsgen.convert_from_pytorch_model(model, (3,))
    assert used == [False]
    assert "forward" not in vars(model[1])
    assert [lay.source_name for lay in hm.graph.layers][-1] == "1"


def test_threshold_like_where_is_still_refused():
    """torch.where(x < t, v, x) (x >= t ? x : v) is not the threshold pattern: refused naming the ops."""
    model = Fn(lambda x: torch.where(x < 0.5, torch.tensor(0.0), x)).eval()
    with pytest.raises(PyTorchConversionError, match=r"Less, Where"):
        hlsgen.convert_from_pytorch_model(model, (3,))


# ---------------------------------------------------------------------- pooling with padding
POOL_PADDED = {
    "max1d": (lambda: nn.MaxPool1d(2, padding=1), (2, 9)),
    "max1d_k3s2": (lambda: nn.MaxPool1d(3, stride=2, padding=1), (3, 10)),
    "max2d": (lambda: nn.MaxPool2d(2, padding=1), (2, 5, 6)),
    "max2d_k3s2": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 7, 6)),
    "max2d_mixed": (lambda: nn.MaxPool2d((3, 2), stride=(1, 2), padding=(1, 1)), (2, 6, 5)),
    "max2d_one_axis": (lambda: nn.MaxPool2d((2, 3), stride=(2, 1), padding=(0, 1)), (2, 4, 5)),
    "avg1d_no_pad_count": (lambda: nn.AvgPool1d(2, padding=1, count_include_pad=False), (2, 9)),
    "avg2d_no_pad_count": (lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False), (2, 5, 6)),
    "avg2d_pad_count": (lambda: nn.AvgPool2d(2, padding=1), (2, 5, 6)),
}


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("which", list(POOL_PADDED))
def test_pooling_with_padding(which, io_type, tmp_path):
    """PyTorch pads max pooling with -inf (negative inputs: a zero pad would win) and averages
    over the valid values with count_include_pad=False, over the window with True."""
    make, shape = POOL_PADDED[which]
    model = nn.Sequential(make()).eval()
    X = grid(np.random.default_rng(6), (30,) + shape, -3, -0.25, frac=4)
    X[1:] = grid(np.random.default_rng(7), (29,) + shape, -3, 3, frac=4)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, shape, io_type=io_type, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    if which.startswith("max") or which in ("avg1d_no_pad_count", "avg2d_no_pad_count"):  # 1/n exact: n in {1, 2, 4}
        np.testing.assert_array_equal(y, ref)
    else:
        assert np.abs(y - ref).max() < 2**-9


@needs_gxx
def test_padded_max_pooling_synthesizable_code_path(tmp_path, monkeypatch):
    """Without the C-simulation fast paths (the code synthesis sees) the results are the same."""
    monkeypatch.setenv("HLSGEN_CXXFLAGS", "-DHLSGEN_NO_FAST_CSIM")
    model = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1)).eval()
    X = grid(np.random.default_rng(8), (10, 2, 7, 6), -3, -0.25, frac=4)
    for io_type in ("io_parallel", "io_stream"):
        hm = hlsgen.convert_from_pytorch_model(model, (2, 7, 6), io_type=io_type, output_dir=tmp_path / io_type)
        np.testing.assert_array_equal(hm.predict(X), run_torch(model, X))
