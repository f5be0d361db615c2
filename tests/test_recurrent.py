"""Recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional): the C++ equals the numpy golden bit
for bit in both io types and through the accelerator top, and follows Keras within the
documented table error; trained models keep their decisions at the default configuration."""
import numpy as np
import pytest
from conftest import grid, needs_gxx

import hlsgen

keras = pytest.importorskip("keras")

IO_TYPES = ("io_parallel", "io_stream")


def _seq(rng, n, steps, feats, lo=-1.0, hi=1.0):
    return grid(rng, (n, steps, feats), lo=lo, hi=hi)


# (id, layer factory, tolerance against Keras)
CASES = [
    ("simple_rnn", lambda: keras.layers.SimpleRNN(6, name="rnn"), 0.03),
    ("lstm_seq", lambda: keras.layers.LSTM(6, return_sequences=True, name="rnn"), 0.02),
    ("lstm_backwards", lambda: keras.layers.LSTM(5, go_backwards=True, name="rnn"), 0.02),
    ("gru", lambda: keras.layers.GRU(6, name="rnn"), 0.02),
    ("gru_reset_before_seq", lambda: keras.layers.GRU(5, reset_after=False, return_sequences=True, name="rnn"), 0.02),
    ("gru_hard_sigmoid_relu", lambda: keras.layers.GRU(4, activation="relu", recurrent_activation="hard_sigmoid",
                                                       name="rnn"), 0.03),
    ("bidirectional_lstm_concat",
     lambda: keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name="rnn"), 0.02),
    ("bidirectional_gru_sum", lambda: keras.layers.Bidirectional(keras.layers.GRU(4), merge_mode="sum", name="rnn"),
     0.03),
]


@needs_gxx
@pytest.mark.parametrize("name,make,tol", CASES, ids=[c[0] for c in CASES])
def test_recurrent_layer_cpp_equals_golden_and_follows_keras(name, make, tol, tmp_path, report):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((7, 3)), make(), keras.layers.Flatten(), keras.layers.Dense(3, name="d")])
    X = _seq(np.random.default_rng(4), 150, 7, 3, -2.0, 2.0)
    yk = model.predict(X, verbose=0)
    lines = []
    for io in IO_TYPES:
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io, io_type=io)
        y = hm.predict(X)
        np.testing.assert_array_equal(y, hm.predict_golden(X))
        err = float(np.abs(y - yk).max())
        lines.append(f"{name} {io}: max|hls - keras| = {err:.2e}")
        assert err <= tol * max(1.0, float(np.abs(yk).max())), lines[-1]
    report("\n".join(lines))


@needs_gxx
def test_tf_keras_lstm_hard_sigmoid(tmp_path):
    tfk = pytest.importorskip("tf_keras")
    tfk.utils.set_random_seed(5)
    model = tfk.Sequential([tfk.Input((6, 2)), tfk.layers.LSTM(5, recurrent_activation="hard_sigmoid"),
                            tfk.layers.Dense(2)])
    X = _seq(np.random.default_rng(6), 120, 6, 2, -2.0, 2.0)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.02  # tf_keras: hard_sigmoid = clip(0.2 x + 0.5)


def _classify_data(rng, n, steps=20):
    """Three classes of noisy sequences: a slow sine, a fast sine, a ramp (2 features)."""
    y = rng.integers(0, 3, n)
    t = np.arange(steps) / steps
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    slow, fast = np.sin(2 * np.pi * t + phase), np.sin(6 * np.pi * t + phase)
    ramp = (t - 0.5) * 2 * np.sign(np.cos(phase))
    base = np.where(y[:, None] == 0, slow, np.where(y[:, None] == 1, fast, ramp))
    x = np.stack([base, np.cos(phase) * np.ones_like(t)], axis=-1) + rng.normal(0, 0.2, (n, steps, 2))
    return np.round(x * 256) / 256, y


@needs_gxx
def test_trained_lstm_classifier_keeps_its_decisions(tmp_path, report):
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(12)
    X, y = _classify_data(rng, 1500)
    model = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.LSTM(16, name="lstm"),
                              keras.layers.Dense(3, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=6, batch_size=64, verbose=0)
    Xt, yt = _classify_data(rng, 1000)
    pk = model.predict(Xt, verbose=0)
    acc = float((pk.argmax(1) == yt).mean())
    lines = [f"LSTM classifier: Keras accuracy {acc:.3f}"]
    for io in IO_TYPES:
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io, io_type=io)
        p = hm.predict(Xt)
        np.testing.assert_array_equal(p[:200], hm.predict_golden(Xt[:200]))
        agree = float((p.argmax(1) == pk.argmax(1)).mean())
        lines.append(f"  {io}: argmax agreement {agree:.4f}, max|dp| {np.abs(p - pk).max():.3f}")
        assert agree >= 0.99, lines[-1]
    report("\n".join(lines))
    assert acc > 0.8  # the model learned something, so agreement is meaningful


@needs_gxx
def test_trained_gru_regressor_is_close(tmp_path, report):
    keras.utils.set_random_seed(13)
    rng = np.random.default_rng(14)

    def data(n, steps=16):
        x = np.round(rng.uniform(-1, 1, (n, steps, 3)) * 256) / 256
        target = 0.5 * x[:, :, 0].mean(1) + 0.3 * np.tanh(x[:, -4:, 1].sum(1)) - 0.2 * x[:, :, 2].max(1)
        return x, target[:, None]

    X, y = data(2000)
    model = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.GRU(12, name="gru"),
                              keras.layers.Dense(1, name="out")])
    model.compile("adam", "mse")
    model.fit(X, y, epochs=8, batch_size=64, verbose=0)
    Xt, yt = data(800)
    yk = model.predict(Xt, verbose=0)
    lines = [f"GRU regressor: Keras rmse {np.sqrt(((yk - yt) ** 2).mean()):.3f}"]
    for io in IO_TYPES:
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io, io_type=io, calibration_data=X[:500])
        yh = hm.predict(Xt)
        np.testing.assert_array_equal(yh[:200], hm.predict_golden(Xt[:200]))
        d = float(np.abs(yh - yk).max())
        lines.append(f"  {io}: max|hls - keras| {d:.4f}")
        assert d <= 0.05, lines[-1]
    report("\n".join(lines))


@needs_gxx
@pytest.mark.parametrize("io", IO_TYPES)
def test_lstm_through_accelerator_top(io, tmp_path):
    keras.utils.set_random_seed(15)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True, name="lstm"),
                              keras.layers.GRU(3, name="gru"), keras.layers.Dense(2, name="d")])
    X = _seq(np.random.default_rng(16), 64, 5, 3, -2.0, 2.0)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", backend="VivadoAccelerator",
                                         board="pynq-z2", io_type=io, interface="axi_stream")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.03
    hm.write()
    top = (tmp_path / "prj" / "firmware" / "nnet_utils" / "nnet_recurrent.h")
    assert top.is_file()


def test_return_state_h_is_the_output(tmp_path):
    x = keras.Input((6, 2))
    out, h, c = keras.layers.LSTM(3, return_state=True, name="lstm")(x)
    model = keras.Model(x, [keras.layers.Dense(2, name="d")(out), keras.layers.Dense(2, name="e")(h)])
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    X = _seq(np.random.default_rng(17), 20, 6, 2)
    a, b = hm.predict_golden(X)
    ka, kb = model.predict(X, verbose=0)
    assert np.abs(a - ka).max() < 0.02 and np.abs(b - kb).max() < 0.02

    model2 = keras.Model(x, keras.layers.Dense(2, name="f")(c))
    with pytest.raises(ValueError, match=r"layer 'f': its input output 2 of 'lstm' was not converted"):
        hlsgen.convert_from_keras_model(model2, output_dir=tmp_path / "prj2")


@needs_gxx
def test_gru_with_wide_precision_compiles_and_stays_exact(tmp_path):
    """Model.Precision fixed<32,16>: the GRU candidate's exact pre-activation would be over
    100 bits; the tanh table reads it on its own step, so it is kept that narrow (the C++
    compiles), the C++ equals the golden bit for bit, and Keras is followed."""
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((8, 4)), keras.layers.GRU(8, name="gru")])
    X = np.random.default_rng(5).random((30, 8, 4))
    cfg = hlsgen.config_from_keras_model(model, granularity="name", default_precision="ap_fixed<32,16>")
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    gru = next(lay for lay in hm.graph.layers if lay.kind == "GRU")
    ca = gru.types["candidate_accum"]
    assert ca.width <= 64 and ca.rounding == "TRN"
    assert ca.fractional == -gru.acts["activation"].spec.step_log2
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.02


@needs_gxx
def test_static_key_is_checked_and_keeps_the_arithmetic(tmp_path):
    """hls4ml's per-layer 'static' (state storage) takes True or False; the numbers are the same."""
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.GRU(3, name="gru"), keras.layers.Dense(2, name="d")])
    X = _seq(np.random.default_rng(3), 12, 5, 2)
    ys = []
    for static in (True, False):
        cfg = hlsgen.config_from_keras_model(model, granularity="name")
        cfg["LayerName"]["gru"]["static"] = static
        hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / f"p{static}")
        ys.append(hm.predict(X))
        np.testing.assert_array_equal(ys[-1], hm.predict_golden(X))
    np.testing.assert_array_equal(ys[0], ys[1])
    cfg["LayerName"]["gru"]["static"] = "yes"
    with pytest.raises(ValueError, match=r"GRU layer 'gru': static is 'yes'; valid: True, False"):
        hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "bad")


@pytest.mark.parametrize("make,match", [
    (lambda: keras.layers.LSTM(3, stateful=True, name="bad"), r"LSTM layer 'bad': stateful=True is not supported"),
    (lambda: keras.layers.GRU(3, activation="mish", name="bad"), r"GRU layer 'bad': activation 'mish' is not supp"),
    (lambda: keras.layers.Bidirectional(keras.layers.LSTM(3), merge_mode=None, name="bad"),
     r"Bidirectional layer 'bad': merge_mode=None is not supported"),
])
def test_bad_recurrent_options_are_named(make, match, tmp_path):
    batch = 2 if "stateful" in match else None  # a stateful layer needs a fixed batch size
    model = keras.Sequential([keras.Input((4, 2), batch_size=batch), make()])
    with pytest.raises(ValueError, match=match):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


@needs_gxx
def test_keras_initial_state_is_an_input(tmp_path, report):
    """initial_state= of SimpleRNN/GRU/LSTM (and a Bidirectional, split forward then backward
    as Keras does) are inputs of the cell: C++ == golden in both io types, close to Keras
    with states beyond [-1, 1]."""
    keras.utils.set_random_seed(26)
    x, x2 = keras.Input((5, 3)), keras.Input((5, 3))
    hs = [keras.Input((4,)) for _ in range(8)]  # one use each (io_stream's fan-out limit)
    outs = [keras.layers.SimpleRNN(4)(x, initial_state=hs[0]),
            keras.layers.GRU(4, return_sequences=True)(x, initial_state=hs[1]),
            keras.layers.LSTM(4)(x, initial_state=hs[2:4]),
            keras.layers.Bidirectional(keras.layers.LSTM(4))(x2, initial_state=hs[4:])]
    model = keras.Model([x, x2] + hs, outs)
    rng = np.random.default_rng(27)
    X = [_seq(rng, 100, 5, 3, -2.0, 2.0) for _ in range(2)] + [grid(rng, (100, 4), -2.0, 2.0) for _ in hs]
    ref = model.predict(X, verbose=0)
    lines = []
    for io in IO_TYPES:
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io, io_type=io)
        assert [len(lay.inputs) for lay in hm.graph.layers if lay.kind in ("SimpleRNN", "GRU", "LSTM")] == \
            [2, 2, 3, 3, 3]
        ys, gs = hm.predict(X), hm.predict_golden(X)
        for k, (y, g, r) in enumerate(zip(ys, gs, ref)):
            np.testing.assert_array_equal(y, g)
            lines.append(f"Keras output {k} with initial states {io}: max|hls - keras| "
                         f"{np.abs(y.reshape(r.shape) - r).max():.2e}")
            assert np.abs(y.reshape(r.shape) - r).max() < 0.03, lines[-1]
    report("\n".join(lines))


# ---------------------------------------------------------------------------- PyTorch
def _torch_model(kind, use):
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(3, 6, batch_first=True)
            self.fc = torch.nn.Linear(6, 2)

        def forward(self, x):
            out, h = self.rnn(x)
            if kind == "LSTM":
                h = h[0]
            return self.fc(out[:, -1]) if use == "seq" else self.fc(h[-1]) if use == "h_n" else self.fc(out)

    torch.manual_seed(21)
    return torch, Net().eval()


@needs_gxx
@pytest.mark.parametrize("kind,use", [("LSTM", "seq"), ("GRU", "h_n"), ("RNN", "all")])
def test_pytorch_recurrent_modules(kind, use, tmp_path, report):
    torch, model = _torch_model(kind, use)
    X = _seq(np.random.default_rng(22), 150, 8, 3, -2.0, 2.0)
    with torch.no_grad():
        yt = model(torch.tensor(X, dtype=torch.float32)).numpy()
    cfg = hlsgen.config_from_pytorch_model(model, (8, 3), granularity="name")
    assert "rnn" in cfg["LayerName"] and "fc" in cfg["LayerName"]  # the module names users see
    cfg["LayerName"]["rnn"]["ReuseFactor"] = 2
    lines = []
    for io in IO_TYPES:
        hm = hlsgen.convert_from_pytorch_model(model, (8, 3), hls_config=cfg, output_dir=tmp_path / io, io_type=io)
        assert next(lay for lay in hm.graph.layers if lay.source_name == "rnn").cfg.reuse_factor == 2
        y = hm.predict(X)
        np.testing.assert_array_equal(y, hm.predict_golden(X))
        err = float(np.abs(y.reshape(yt.shape) - yt).max())
        lines.append(f"PyTorch {kind} ({use}) {io}: max|hls - torch| {err:.2e}")
        assert err < 0.02, lines[-1]
    report("\n".join(lines))


@pytest.mark.parametrize("kw,match", [
    (dict(bidirectional=True), r"module 'rnn' \(torch.nn.LSTM\): bidirectional=True is not supported"),
    (dict(num_layers=2), r"module 'rnn' \(torch.nn.LSTM\): num_layers=2 is not supported"),
    (dict(batch_first=False), r"module 'rnn' \(torch.nn.LSTM\): batch_first=False is not supported"),
])
def test_pytorch_recurrent_options_refused(kw, match, tmp_path):
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(3, 4, **{"batch_first": True, **kw})

        def forward(self, x):
            return self.rnn(x)[0]

    from hlsgen.converters.pytorch import PyTorchConversionError  # imported here when the test runs alone

    with pytest.raises(PyTorchConversionError, match=match):
        hlsgen.convert_from_pytorch_model(Net(), (5, 3), output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_pytorch_lstm_cell_state_refused(tmp_path):
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(3, 4, batch_first=True)
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.rnn(x)[1][1][-1])

    with pytest.raises(hlsgen.converters.pytorch.PyTorchConversionError, match=r"the cell state c_n is used"):
        hlsgen.convert_from_pytorch_model(Net(), (5, 3), output_dir=tmp_path / "prj")


def _torch_with_state(kind, nonlinearity="tanh"):
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            kw = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
            self.rnn = getattr(torch.nn, kind)(3, 5, batch_first=True, **kw)

        def forward(self, x, h0=None, c0=None):
            if h0 is None:  # the same module without an initial state
                return self.rnn(x)[0]
            return self.rnn(x, (h0, c0) if kind == "LSTM" else h0)[0]

    torch.manual_seed(23)
    return torch, Net().eval()


@needs_gxx
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_pytorch_initial_states_are_inputs(kind, tmp_path, report):
    """nn.RNN/LSTM/GRU called with hx: h0 (and c0) are inputs of one sample's hidden values,
    given to predict as (N, 1, hidden) (PyTorch's (1, N, hidden) with the batch first).
    C++ == golden bit for bit in both io types, states beyond [-1, 1] followed; zero initial
    states give the stateless module's outputs bit for bit."""
    torch, model = _torch_with_state(kind)
    rng = np.random.default_rng(24)
    n, k = 100, 2 if kind == "LSTM" else 1
    X = _seq(rng, n, 6, 3, -2.0, 2.0)
    states = [grid(rng, (n, 1, 5), -2.0, 2.0) for _ in range(k)]
    with torch.no_grad():
        yt = model(*[torch.tensor(a, dtype=torch.float32) for a in [X] + [s.transpose(1, 0, 2) for s in states]])
    shapes = [(6, 3)] + [(1, 5)] * k
    lines = []
    for io in IO_TYPES:
        hm = hlsgen.convert_from_pytorch_model(model, shapes, output_dir=tmp_path / io, io_type=io)
        y = hm.predict([X] + states)
        np.testing.assert_array_equal(y, hm.predict_golden([X] + states))
        err = float(np.abs(y.reshape(yt.shape) - yt.numpy()).max())
        lines.append(f"PyTorch {kind} with initial state(s) {io}: max|hls - torch| {err:.2e}")
        assert err < 0.03, lines[-1]
    report("\n".join(lines))
    zero = hm.predict_golden([X] + [np.zeros_like(s) for s in states])
    np.testing.assert_array_equal(zero, hlsgen.convert_from_pytorch_model(model, (6, 3)).predict_golden(X))


@needs_gxx
def test_pytorch_relu_rnn_initial_state_is_exact(tmp_path):
    """A relu RNN with weights on a 2**-3 grid computes exactly in fixed<32,16>: from a
    nonzero h0 the C simulation equals the float64 recurrence."""
    torch, model = _torch_with_state("RNN", "relu")
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.round(p * 8) / 8)
    rng = np.random.default_rng(25)
    X, h0 = grid(rng, (50, 4, 3), -2.0, 2.0, frac=2), grid(rng, (50, 1, 5), -2.0, 2.0, frac=2)
    r = model.rnn
    w_ih, w_hh, b = (t.detach().double().numpy() for t in (r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0 + r.bias_hh_l0))
    h, ref = h0[:, 0], []
    for t in range(X.shape[1]):
        h = np.maximum(X[:, t] @ w_ih.T + b + h @ w_hh.T, 0.0)
        ref.append(h)
    cfg = hlsgen.config_from_pytorch_model(model, [(4, 3), (1, 5)], default_precision="fixed<32,16>")
    for io in IO_TYPES:
        hm = hlsgen.convert_from_pytorch_model(model, hls_config=cfg, output_dir=tmp_path / io, io_type=io)
        np.testing.assert_array_equal(hm.predict([X, h0]), np.stack(ref, axis=1))


def test_pytorch_lstm_initial_state_needs_both(tmp_path):
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(3, 4, batch_first=True)

        def forward(self, x, h0):
            return self.rnn(x, (h0,))[0]

    with pytest.raises(hlsgen.converters.pytorch.PyTorchConversionError, match=r"\(h0, c0\), got 1 tensor"):
        hlsgen.convert_from_pytorch_model(Net(), [(5, 3), (1, 4)], output_dir=tmp_path / "prj")


def _bidir_model():
    keras.utils.set_random_seed(7)
    return keras.Sequential([keras.Input((6, 3)), keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.GRU(5, return_sequences=True, go_backwards=True), name="bi")])


def test_bidirectional_entry_takes_hls4mls_per_direction_keys():
    """hls4ml configures a Bidirectional as one entry: forward_/backward_ keys set one
    direction, the others both; the merge keeps the result type.  The configuration
    given is not changed; a direction's own entry wins over the shared one."""
    model = _bidir_model()
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    bi = cfg["LayerName"]["bi"]
    bi.update(static=False, Strategy="Resource", ReuseFactor=2, forward_reuse_factor=4)
    bi["Precision"].update(result="fixed<20,8>", backward_weight="fixed<12,3>")
    bi["forward_bias_t"] = "fixed<14,4>"
    cfg["LayerName"]["bi_backward"]["ReuseFactor"] = 1
    before = hlsgen.to_yaml(cfg)
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg)
    assert hlsgen.to_yaml(cfg) == before
    lay = {la.source_name: la for la in hm.graph.layers}
    fwd, bwd, merge = lay["bi_forward"], lay["bi_backward"], lay["bi"]
    assert (fwd.cfg.reuse_factor, bwd.cfg.reuse_factor) == (4, 1)
    assert fwd.cfg.strategy == bwd.cfg.strategy == "Resource"
    assert fwd.attrs["static"] is False and bwd.attrs["static"] is False
    assert str(bwd.types["weight"]) == "fixed<12,3>" and str(fwd.types["bias"]) == "fixed<14,4>"
    assert str(fwd.types["weight"]) != "fixed<12,3>"
    assert str(merge.types["result"]) == "fixed<20,8>"


def test_bidirectional_entry_with_a_key_no_direction_takes():
    model = _bidir_model()
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["bi"]["forward_recurrent_reuse_factor"] = 2
    with pytest.raises(hlsgen.ConfigError, match=r"unknown key 'recurrent_reuse_factor' in LayerName.bi_forward"):
        hlsgen.convert_from_keras_model(model, hls_config=cfg)
