"""PyTorch frontend: modules converted directly (through the ONNX frontend), checked against
the PyTorch model itself; configuration by module name; layouts; refused modules."""
import numpy as np
import pytest

import hlsgen
from hlsgen.convert import convert_from_graph
from hlsgen.converters.pytorch import PyTorchConversionError, parse_pytorch_model, to_hls_layout

from conftest import grid, needs_gxx

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
nn = torch.nn

IO_TYPES = ["io_parallel", "io_stream"]


def run_torch(model, X):
    model.eval()
    with torch.no_grad():
        y = model(*[torch.tensor(x, dtype=torch.float32) for x in (X if isinstance(X, list) else [X])])
    return y.numpy().astype(np.float64)


def agreement(y, ref):
    return float(np.mean(np.argmax(y, 1) == np.argmax(ref, 1)))


# ---------------------------------------------------------------------- models
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 16)
        self.act = nn.LeakyReLU(0.1)
        self.fc3 = nn.Linear(16, 5)
        with torch.no_grad():
            self.fc3.weight.mul_(4.0)  # classes apart (random weights give near-ties otherwise)

    def forward(self, x):
        return self.fc3(self.act(self.fc2(torch.relu(self.fc1(x)))))


class CNN(nn.Module):
    """Conv2d + BatchNorm2d + ReLU + MaxPool2d + Flatten + Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 6)
        with torch.no_grad():
            self.bn1.running_mean.uniform_(-0.5, 0.5)
            self.bn1.running_var.uniform_(0.5, 2.0)
            self.bn1.weight.uniform_(0.5, 1.5)
            self.bn1.bias.uniform_(-0.3, 0.3)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.bn1(self.conv1(x))))))


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.conv = nn.Conv1d(n, n, 3, padding=1)

    def forward(self, x):
        return x + torch.relu(self.conv(x))  # residual: x + f(x)


class ResCat(nn.Module):
    """A residual block, torch.cat of two branches, view to a vector."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv1d(2, 4, 3, padding=1)
        self.block = Block(4)
        self.side = nn.Conv1d(2, 3, 1)
        self.head = nn.Linear(7 * 8, 4)

    def forward(self, x):
        h = self.block(torch.relu(self.stem(x)))
        h = torch.cat([h, torch.sigmoid(self.side(x))], dim=1)
        return self.head(h.view(h.size(0), -1))


class Hostile(nn.Module):
    """Modules registered under names that are C, Tcl, YAML and Markdown trouble."""

    NAMES = ['q"uote\'s', "new\nline */ end", "back\\slash $x [exit] `rm`"]

    def __init__(self):
        super().__init__()
        self.add_module(self.NAMES[0], nn.Linear(6, 8))
        self.add_module(self.NAMES[1], nn.ReLU())
        self.add_module(self.NAMES[2], nn.Linear(8, 3))

    def forward(self, x):
        for n in self.NAMES:
            x = getattr(self, n)(x)
        return x


def seeded(cls, seed, *a):
    torch.manual_seed(seed)
    return cls(*a).eval()


MODELS = {
    "mlp": (lambda: seeded(MLP, 0), (16,)),
    "cnn_bn": (lambda: seeded(CNN, 1), (3, 8, 8)),
    "residual_cat": (lambda: seeded(ResCat, 2), (2, 8)),
}


# ---------------------------------------------------------------------- against PyTorch
@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
@pytest.mark.parametrize("which", list(MODELS))
def test_against_pytorch(which, io_type, tmp_path):
    make, shape = MODELS[which]
    model = make()
    X = grid(np.random.default_rng(0), (300,) + shape, -2, 2)  # the PyTorch layout (N, C, ...)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, shape, io_type=io_type, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    assert y.shape == ref.shape
    np.testing.assert_array_equal(y, hm.predict_golden(X))  # C++ == numpy golden, bit for bit
    agree = agreement(y, ref)
    print(f"pytorch {which} {io_type}: argmax agreement {agree:.4f}, max |diff| {np.abs(y - ref).max():.4g}")
    assert agree >= 0.99
    assert np.abs(y - ref).max() < 0.1


def test_names_are_module_names():
    g = parse_pytorch_model(seeded(ResCat, 2), (2, 8))
    assert [gi.source_name for gi in g.inputs] == ["x"]  # the forward's argument
    names = [lay.source_name for lay in g.layers]
    for n in ("stem", "relu", "block.conv", "block.relu", "block.add", "side", "sigmoid", "cat", "head"):
        assert n in names, (n, names)
    g = parse_pytorch_model(seeded(CNN, 1), (3, 8, 8))
    conv = next(lay for lay in g.layers if lay.kind == "Conv2D")
    assert conv.source_name == "conv1" and "bn1" in conv.aliases  # the batch-norm folded into the conv
    assert "BatchNormalization" not in [lay.kind for lay in g.layers]
    seq = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 2)))
    assert [lay.source_name for lay in parse_pytorch_model(seq, (None, 4)).layers] == ["0", "1", "2.0"]


@pytest.mark.parametrize("which", list(MODELS))
def test_torch_export_based_exporter(which):
    """The fallback when the (deprecated) TorchScript exporter fails: the same module names,
    from the torch.export-based exporter's metadata; golden model against PyTorch."""
    make, shape = MODELS[which]
    model = make()
    ts = parse_pytorch_model(model, shape, exporter="torchscript")
    g = parse_pytorch_model(model, shape, exporter="dynamo")
    assert [lay.source_name for lay in g.layers if lay.kind not in ("Flatten", "Reshape")] == \
        [lay.source_name for lay in ts.layers if lay.kind not in ("Flatten", "Reshape")]
    hm = convert_from_graph(g, "onnx")
    X = grid(np.random.default_rng(6), (100,) + shape, -2, 2)
    y = hm.predict_golden(to_hls_layout(g, X))
    assert np.abs(y - run_torch(model, X)).max() < 0.05


def test_two_inputs_and_permute():
    """forward(feats, seq): names from the signature; seq.permute(0, 2, 1) is a layout change."""
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)
            self.b = nn.Conv1d(2, 3, 3)
            self.c = nn.Linear(15, 2)

        def forward(self, feats, seq):  # seq: (N, L, C)
            h = self.b(seq.permute(0, 2, 1))
            return self.c(torch.cat([self.a(feats), h.flatten(1)], 1))

    torch.manual_seed(7)
    model = Two().eval()
    rng = np.random.default_rng(7)
    X = [grid(rng, (50, 4), -2, 2), grid(rng, (50, 6, 2), -2, 2)]
    cfg = hlsgen.config_from_pytorch_model(model, [(4,), (6, 2)], granularity="name")
    assert list(cfg["LayerName"])[:2] == ["feats", "seq"]
    hm = hlsgen.convert_from_pytorch_model(model, [(4,), (6, 2)])
    assert hm.graph.torch_io["inputs"] == {"feats": (0, 1), "seq": (0, 1, 2)}  # the Transpose absorbed
    assert np.abs(hm.predict_golden(X) - run_torch(model, X)).max() < 0.02
    with pytest.raises(ValueError, match="2 input"):
        hm.predict_golden(X[0])
    # one sample per input without the batch axis: the output without it (as hls4ml)
    one = hm.predict_golden([X[0][3], X[1][3]])
    assert one.shape == (2,)
    np.testing.assert_array_equal(one, hm.predict_golden([X[0][3:4], X[1][3:4]])[0])


@needs_gxx
def test_config_by_module_name(tmp_path):
    model = seeded(MLP, 0)
    cfg = hlsgen.config_from_pytorch_model(model, (16,), granularity="name")
    assert list(cfg["LayerName"]) == ["x", "fc1", "relu", "fc2", "act", "fc3"]
    cfg["LayerName"]["fc1"]["ReuseFactor"] = 4
    cfg["LayerName"]["fc2"]["Precision"]["result"] = "fixed<12,5>"
    hm = hlsgen.convert_from_pytorch_model(model, (16,), hls_config=cfg, output_dir=tmp_path / "prj")
    resolved = hm.resolved_config()["LayerName"]
    assert resolved["fc1"]["ReuseFactor"] == 4 and resolved["fc3"]["ReuseFactor"] == 1
    assert resolved["fc2"]["Precision"]["result"].startswith("fixed<12,5")
    rows = {r["name"]: r for r in hm.estimate().layers}
    base = hlsgen.convert_from_pytorch_model(model, (16,), output_dir=tmp_path / "base")
    base_rows = {r["name"]: r for r in base.estimate().layers}
    assert rows["fc1"]["ii"] >= 4 > base_rows["fc1"]["ii"]  # the reuse factor reached layer fc1
    X = grid(np.random.default_rng(1), (50, 16), -2, 2)
    y, tr = hm.trace(X)
    # fc1's ReLU is fused into it: the fused output answers to 'relu' (the model layer whose output it is)
    assert {"relu", "fc2", "act", "fc3"} <= set(tr) and "fc1" not in tr
    assert hm.fused["relu"] == ["fc1", "relu"]
    np.testing.assert_array_equal(tr["fc3"], y)
    # an unknown module name is refused like an unknown Keras layer name
    cfg["LayerName"]["fc9"] = {"ReuseFactor": 2}
    with pytest.raises(hlsgen.ConfigError, match="fc9"):
        hlsgen.convert_from_pytorch_model(model, (16,), hls_config=cfg, output_dir=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


@needs_gxx
def test_channels_last_option(tmp_path):
    model = seeded(CNN, 1)
    X = grid(np.random.default_rng(3), (100, 3, 8, 8), -2, 2)
    ref = run_torch(model, X)
    hm = hlsgen.convert_from_pytorch_model(model, (8, 8, 3), channels_last=True, output_dir=tmp_path / "prj")
    Xcl = X.transpose(0, 2, 3, 1)
    y = hm.predict(Xcl)
    np.testing.assert_array_equal(y, hm.predict_golden(Xcl))
    assert agreement(y, ref) >= 0.99
    with pytest.raises(ValueError, match=r"\(8, 8, 3\) in the channels-last layout"):
        hm.predict(X)  # channels-first arrays are refused, not silently misread
    _, tr = hm.trace(Xcl)
    # Conv2d + BatchNorm2d + ReLU are one layer: its output answers to 'relu', the model layer
    # whose output it is, and hm.fused names what it absorbed
    assert {"relu", "pool", "fc"} <= set(tr) and not {"conv1", "bn1"} & set(tr)
    assert hm.fused["relu"] == ["conv1", "bn1", "relu"]


@needs_gxx
def test_sample_arrays_in_pytorch_layout(tmp_path):
    """input_data_tb, output_data_tb and calibration_data are given as PyTorch takes them."""
    model = seeded(CNN, 1)
    X = grid(np.random.default_rng(9), (20, 3, 8, 8), -2, 2)
    ref = run_torch(model, X)
    np.save(tmp_path / "X.npy", X)
    hm = hlsgen.convert_from_pytorch_model(model, (3, 8, 8), output_dir=tmp_path / "prj",
                                           input_data_tb=str(tmp_path / "X.npy"), output_data_tb=ref,
                                           calibration_data=X)
    np.testing.assert_array_equal(hm.options.input_data_tb[0], X.transpose(0, 2, 3, 1))
    hm.write()
    tb = np.loadtxt(tmp_path / "prj" / "tb_data" / "tb_input_features.dat", ndmin=2)
    np.testing.assert_array_equal(tb, X.transpose(0, 2, 3, 1).reshape(20, -1))  # stored channels-last
    assert agreement(hm.predict(X), ref) >= 0.95
    with pytest.raises(ValueError, match="input_data_tb"):
        hlsgen.convert_from_pytorch_model(model, (3, 8, 8), input_data_tb=X[:, 0], output_dir=tmp_path / "bad")
    with pytest.raises(ValueError, match="calibration_data"):
        hlsgen.convert_from_pytorch_model(model, (3, 8, 8), calibration_data=X.transpose(0, 2, 3, 1),
                                          output_dir=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_layout_of_outputs_and_inputs():
    """A convolutional output comes back in PyTorch's (N, C, L) or, with channels_last, (N, L, C)."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU()).eval()
    X = grid(np.random.default_rng(4), (20, 2, 8), -2, 2)
    ref = run_torch(model, X)
    for cl in (False, True):
        hm = hlsgen.convert_from_pytorch_model(model, (8, 2) if cl else (2, 8), channels_last=cl)
        g = hm.graph
        assert g.tensors[g.outputs[0]].shape == (8, 3)  # stored channels-last
        y = hm.predict_golden(X.transpose(0, 2, 1) if cl else X)
        np.testing.assert_allclose(y, ref.transpose(0, 2, 1) if cl else ref, atol=0.02)
        assert to_hls_layout(g, X.transpose(0, 2, 1) if cl else X).shape == (20, 8, 2)


@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
@pytest.mark.parametrize("dims", [1, 2])
def test_flattened_convolution_output_in_pytorch_order(dims, io_type, tmp_path):
    """A graph output that flattens a channels-last convolution comes out in PyTorch's
    (C, H, W) flatten order: a Permute transposes it back first.  Bit for bit the
    convolution's own output, flattened in the PyTorch layout."""
    torch.manual_seed(6)
    conv = (nn.Conv1d(2, 3, 3, padding=1) if dims == 1 else nn.Conv2d(2, 3, 3, padding=1)).eval()
    shape = (2, 7) if dims == 1 else (2, 4, 5)
    X = grid(np.random.default_rng(6), (30,) + shape, -2, 2)
    flat = nn.Sequential(conv, nn.Flatten(), nn.ReLU()).eval()
    hm = hlsgen.convert_from_pytorch_model(flat, shape, io_type=io_type, output_dir=tmp_path / "flat")
    assert "Permute" in [lay.kind for lay in hm.graph.layers]
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    base = hlsgen.convert_from_pytorch_model(nn.Sequential(conv, nn.ReLU()).eval(), shape)
    np.testing.assert_array_equal(y, base.predict_golden(X).reshape(len(X), -1))  # (N, C, ...) flattened
    assert np.abs(y - run_torch(flat, X)).max() < 0.02


HLS4ML_LAYOUTS = [  # (channels_last_conversion, transpose_outputs) -> (inputs, outputs) channels-last
    (("full", True), (False, False)), (("full", False), (False, True)), (("internal", False), (True, True)),
    (("internal", True), (True, False)), (("off", False), (False, False)), (("off", True), (False, False)),
]


@pytest.mark.parametrize("layout, expect", HLS4ML_LAYOUTS)
def test_hls4ml_channels_last_conversion(layout, expect):
    """hls4ml's channels_last_conversion / transpose_outputs choose the layout of predict's
    arrays: 'full' PyTorch-layout inputs, 'internal' channels-last ones, outputs channels-last
    unless transpose_outputs; 'off' the PyTorch layout in and out.  Values are the default
    model's, bit for bit, only transposed; the config keeps the two keys for the conversion."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU()).eval()
    X = grid(np.random.default_rng(4), (20, 2, 8), -2, 2)
    ref = hlsgen.convert_from_pytorch_model(model, (2, 8)).predict_golden(X)  # (N, C, L)
    assert np.abs(ref - run_torch(model, X)).max() < 0.02
    conv, tr = layout
    cfg = hlsgen.config_from_pytorch_model(model, (2, 8), channels_last_conversion=conv, transpose_outputs=tr)
    assert (cfg["Model"]["ChannelsLastConversion"], cfg["Model"]["TransposeOutputs"]) == (conv, tr)
    assert cfg["InputShape"] == [2, 8]  # hls4ml's input_shape is the PyTorch one, whatever the arrays
    cfg = hlsgen.from_yaml(hlsgen.to_yaml(cfg))
    hm = hlsgen.convert_from_pytorch_model(model, hls_config=cfg)
    in_cl, out_cl = expect
    y = hm.predict_golden(X.transpose(0, 2, 1) if in_cl else X)
    np.testing.assert_array_equal(y, ref.transpose(0, 2, 1) if out_cl else ref)
    if in_cl:
        with pytest.raises(ValueError, match=r"\(8, 2\) in the channels-last layout"):
            hm.predict_golden(X)
    # one sample without the batch axis, in the same layouts
    np.testing.assert_array_equal(hm.predict_golden((X.transpose(0, 2, 1) if in_cl else X)[0]), y[0])


def test_hls4ml_layer_norm_output_is_transposed_the_other_way():
    """hls4ml normalizes PyTorch's last axis and transposes around a LayerNorm: an output it
    computes comes back in the PyTorch layout without transpose_outputs, transposed with it."""
    torch.manual_seed(5)
    model = nn.Sequential(nn.LayerNorm(8)).eval()
    X = grid(np.random.default_rng(5), (10, 6, 8), -2, 2)
    ref = hlsgen.convert_from_pytorch_model(model, (6, 8)).predict_golden(X)
    assert ref.shape == (10, 6, 8) and np.abs(ref - run_torch(model, X)).max() < 0.05
    for tr, want in ((False, ref), (True, ref.transpose(0, 2, 1))):
        cfg = hlsgen.config_from_pytorch_model(model, (6, 8), channels_last_conversion="full", transpose_outputs=tr)
        np.testing.assert_array_equal(hlsgen.convert_from_pytorch_model(model, hls_config=cfg).predict_golden(X), want)


def test_layout_options_are_checked_first(tmp_path):
    model = nn.Sequential(nn.Conv1d(2, 3, 3)).eval()
    with pytest.raises(ValueError, match=r"channels_last_conversion='partial': expected one of 'full', 'internal', 'off'"):
        hlsgen.config_from_pytorch_model(model, (2, 8), channels_last_conversion="partial")
    with pytest.raises(ValueError, match=r"channels_last=True and channels_last_conversion='full': give one of them"):
        hlsgen.config_from_pytorch_model(model, (8, 2), channels_last=True, channels_last_conversion="full")
    with pytest.raises(ValueError, match=r"channels_last_conversion='partial'"):
        hlsgen.convert_from_pytorch_model(model, (2, 8), hls_config={"Model": {"ChannelsLastConversion": "partial"}},
                                          output_dir=tmp_path / "prj")
    with pytest.raises(hlsgen.ConfigError, match=r"Model.TransposeOutputs must be True or False, got 'yes'"):
        hlsgen.convert_from_pytorch_model(model, (2, 8), output_dir=tmp_path / "prj", hls_config={
            "Model": {"ChannelsLastConversion": "full", "TransposeOutputs": "yes"}})
    assert not (tmp_path / "prj").exists()


def test_default_and_channels_last_configs_round_trip():
    """The default (PyTorch layout in and out) is hls4ml's 'off'; channels_last=True keeps its
    channels-last InputShape and gives channels-last outputs through the configuration."""
    torch.manual_seed(6)
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU()).eval()
    X = grid(np.random.default_rng(6), (10, 2, 8), -2, 2)
    ref = hlsgen.convert_from_pytorch_model(model, (2, 8)).predict_golden(X)
    cfg = hlsgen.config_from_pytorch_model(model, (2, 8))
    assert (cfg["Model"]["ChannelsLastConversion"], cfg["Model"]["TransposeOutputs"]) == ("off", False)
    cfg = hlsgen.config_from_pytorch_model(model, (8, 2), channels_last=True)
    assert cfg["Model"]["ChannelsLast"] is True and cfg["InputShape"] == [8, 2]
    hm = hlsgen.convert_from_pytorch_model(model, hls_config=hlsgen.from_yaml(hlsgen.to_yaml(cfg)))
    np.testing.assert_array_equal(hm.predict_golden(X.transpose(0, 2, 1)), ref.transpose(0, 2, 1))


@needs_gxx
def test_hostile_module_names(tmp_path):
    model = seeded(Hostile, 5)
    X = grid(np.random.default_rng(5), (100, 6), -2, 2)
    ref = run_torch(model, X)
    cfg = hlsgen.config_from_pytorch_model(model, (6,), granularity="name")
    assert list(cfg["LayerName"])[1:] == Hostile.NAMES
    cfg = hlsgen.from_yaml(hlsgen.to_yaml(cfg))
    cfg["LayerName"][Hostile.NAMES[2]]["ReuseFactor"] = 2
    hm = hlsgen.convert_from_pytorch_model(model, (6,), hls_config=cfg, output_dir=tmp_path / "prj",
                                           backend="VivadoAccelerator", board="pynq-z2", driver="both")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - ref).max() < 0.05
    code = (tmp_path / "prj" / "firmware" / "myproject.cpp").read_text()
    assert "new\nline" not in code and "*/ end" not in code  # no name breaks out of a comment
    assert hm.resolved_config()["LayerName"][Hostile.NAMES[2]]["ReuseFactor"] == 2


# ---------------------------------------------------------------------- refused before anything is written
class WithLSTMCell(nn.Module):  # nn.LSTM is supported (tests/test_recurrent.py), its cell is not
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.rnn = nn.LSTMCell(4, 8)

    def forward(self, x):
        return self.rnn(self.fc(x))[0]


class CustomOp(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(4, 4))

    def forward(self, x):
        return torch.erf(self.inner(x))


class Gelu(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x) + torch.exp(x)


class UsesGelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.my_act = Gelu()

    def forward(self, x):
        return self.my_act(self.fc(x))


@pytest.mark.parametrize("make,shape,match", [
    (WithLSTMCell, (4,), r"module 'rnn' of type torch\.nn\.LSTMCell"),
    (lambda: nn.Sequential(nn.Linear(4, 4), nn.GELU()), (4,), r"module '1' of type torch\.nn\.GELU"),
    (lambda: nn.Sequential(nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1)),
     (3, 8), r"module '0' of type torch\.nn\.Transformer"),
    (CustomOp, (4,), r"the forward of the top module \(test_pytorch\.CustomOp\) uses Erf"),
    (UsesGelu, (4,), r"module 'my_act' \(test_pytorch\.Gelu\) uses Exp"),
], ids=["lstm_cell", "gelu", "transformer", "custom_op", "custom_module"])
def test_unsupported_modules_refused(make, shape, match, tmp_path):
    with pytest.raises(PyTorchConversionError, match=match) as e:
        hlsgen.convert_from_pytorch_model(make(), shape, output_dir=tmp_path / "prj")
    assert "supported modules: torch.nn.Linear" in str(e.value)
    assert not (tmp_path / "prj").exists()


def test_layer_error_names_module_type(tmp_path):
    model = nn.Sequential(nn.Conv2d(2, 2, 3, dilation=2)).eval()
    with pytest.raises(PyTorchConversionError, match=r"dilations.*module '0' \(torch\.nn\.Conv2d\)"):
        hlsgen.convert_from_pytorch_model(model, (2, 9, 9), output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


@pytest.mark.parametrize("shape,err", [((0, 4), ValueError), ("x", ValueError), (4, TypeError)])
def test_bad_input_shape(shape, err, tmp_path):
    with pytest.raises(err, match="input_shape"):
        hlsgen.convert_from_pytorch_model(seeded(MLP, 0), shape, output_dir=tmp_path / "prj")


def test_wrong_input_shape_names_the_model(tmp_path):
    model = seeded(MLP, 0).train()
    model.fc2.eval()
    with pytest.raises(PyTorchConversionError, match=r"test_pytorch\.MLP fails on inputs of shape \[\(1, 8\)\].*"
                                                      r"check input_shape"):
        hlsgen.convert_from_pytorch_model(model, (8,), output_dir=tmp_path / "prj")
    assert model.training and model.fc1.training and not model.fc2.training  # the user's modes kept
    assert not (tmp_path / "prj").exists()


def test_not_a_module():
    with pytest.raises(TypeError, match="expected a torch.nn.Module"):
        hlsgen.convert_from_pytorch_model(object(), (4,))


# ---------------------------------------------------------------------- Brevitas (QONNX export)
def brevitas_models():
    qnn = pytest.importorskip("brevitas.nn")
    from brevitas.quant import (Int8ActPerTensorFixedPoint, Int8BiasPerTensorFixedPointInternalScaling,
                                Int8WeightPerTensorFixedPoint, Uint8ActPerTensorFixedPoint)

    fixed = dict(weight_quant=Int8WeightPerTensorFixedPoint, bias_quant=Int8BiasPerTensorFixedPointInternalScaling)

    class QMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=8, return_quant_tensor=True)
            self.fc1 = qnn.QuantLinear(16, 32, bias=True, weight_bit_width=4, return_quant_tensor=True, **fixed)
            self.relu = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)
            self.fc2 = qnn.QuantLinear(32, 5, bias=True, weight_bit_width=4, output_quant=Int8ActPerTensorFixedPoint,
                                       **fixed)

        def forward(self, x):
            return self.fc2(self.relu(self.fc1(self.inp(x))))

    class QCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=8, return_quant_tensor=True)
            self.conv = qnn.QuantConv2d(2, 4, 3, padding=1, bias=True, weight_bit_width=5, return_quant_tensor=True,
                                        **fixed)
            self.relu = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=6, return_quant_tensor=True)
            self.pool = nn.MaxPool2d(2)
            self.fc = qnn.QuantLinear(64, 5, bias=True, weight_bit_width=6, output_quant=Int8ActPerTensorFixedPoint,
                                      **fixed)

        def forward(self, x):
            h = self.pool(self.relu(self.conv(self.inp(x))))
            return self.fc(torch.flatten(h, 1))

    return {"mlp": (QMLP, (16,)), "cnn": (QCNN, (2, 8, 8))}


@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
@pytest.mark.parametrize("which", ["mlp", "cnn"])
def test_brevitas_bit_exact(which, io_type, tmp_path):
    """Brevitas fixed-point (power-of-two scale) quantizers: QONNX export, every Quant a type;
    the C++ outputs equal Brevitas's own fake-quantized forward exactly."""
    cls, shape = brevitas_models()[which]
    model = seeded(cls, 8)
    X = np.random.default_rng(8).normal(0, 1, (200,) + shape)  # off-grid: the input quantizer rounds
    ref = run_torch(model, X)
    cfg = hlsgen.config_from_pytorch_model(model, shape, granularity="name")
    assert cfg["LayerName"]["x"]["Precision"]["result"] == "fixed<8,1,RND_CONV,SAT>"  # QuantIdentity's type
    assert list(cfg["LayerName"]) == {"mlp": ["x", "fc1", "relu", "fc2"],
                                      "cnn": ["x", "conv", "relu", "pool", "fc_flatten", "fc"]}[which]
    hm = hlsgen.convert_from_pytorch_model(model, shape, io_type=io_type, output_dir=tmp_path / "prj")
    # every Quant became a type (QuantReLU's is its ReLU's, which then fuses into the layer before)
    assert "Activation" not in [lay.kind for lay in hm.graph.layers]
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    print(f"brevitas {which} {io_type}: {np.sum(y == ref)}/{y.size} outputs bit-exact")
    np.testing.assert_array_equal(y, ref)


@needs_gxx
def test_one_channel_output_keeps_the_pytorch_shape(tmp_path):
    """An output of one channel is stored in the same order channels first or last; it must
    still come back in the module's shape (N, 1, H, W), not as (N, H, W, 1)."""
    torch.manual_seed(0)
    X = grid(np.random.default_rng(0), (4, 1, 4, 6), frac=4)
    for k, m in enumerate([torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)), torch.nn.Sequential(torch.nn.MaxPool2d(2))]):
        hm = hlsgen.convert_from_pytorch_model(m, input_shape=(None, 1, 4, 6), output_dir=str(tmp_path / f"p{k}"))
        hm.compile()
        y = hm.predict(X)
        ref = m(torch.tensor(X, dtype=torch.float32)).detach().numpy()
        assert y.shape == ref.shape
        np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)  # max pooling is exact
