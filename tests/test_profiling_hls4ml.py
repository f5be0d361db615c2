"""hls4ml's numerical(model, hls_model, X, plot): the (wp, wph, ap, aph) figures for Keras 3,
tf_keras and PyTorch models, with and without an HLSModel and data; the values each box
summarizes are the framework's and the C simulation's own."""
import numpy as np
import pytest

import hlsgen

from conftest import needs_gxx

pytest.importorskip("matplotlib")
from hlsgen.model.profiling import numerical  # noqa: E402  (hls4ml's module path)
from hlsgen.profiling_hls4ml import keras_weights, torch_activations, torch_weights  # noqa: E402


def boxes(fig):
    """(labels top to bottom, number of patches) of a figure's one axes."""
    ax = fig.axes[0]
    pairs = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]), reverse=True)
    return [lab for _, lab in pairs], len(ax.patches)


def medians(fig):
    """The median of each box, top to bottom (the boxes' median lines are vertical segments)."""
    ax = fig.axes[0]
    segs = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]
            and ln.get_ydata()[0] != ln.get_ydata()[1] and ln.get_color() == "k"]
    return [float(ln.get_xdata()[0]) for ln in sorted(segs, key=lambda ln: -np.mean(ln.get_ydata()))]


def nz(a):
    a = np.abs(np.asarray(a, dtype=np.float64).ravel())
    return a[a > 0]


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_keras_weights_one_box_per_nonzero_array(flavour):
    K = pytest.importorskip("keras" if flavour == "keras3" else "tf_keras")
    K.utils.set_random_seed(1)
    model = K.Sequential([K.Input((6,)), K.layers.Dense(5, name="d1"), K.layers.BatchNormalization(name="bn"),
                          K.layers.Dense(3, name="d2")])
    bn = model.get_layer("bn")
    g, b, m, v = [np.asarray(w) for w in bn.get_weights()]
    rng = np.random.default_rng(1)
    bn.set_weights([rng.uniform(0.5, 1.5, 5), rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5), rng.uniform(0.5, 2, 5)])
    wp, wph, ap, aph = numerical(model)
    assert (wph, ap, aph) == (None, None, None)
    labels, patches = boxes(wp)
    # fresh Dense biases are zeros: left out; the batch-norm is its folded scale and bias
    assert labels == ["d1/kernel", "bn/s", "bn/b", "d2/kernel"] and patches == 4
    g, b, m, v = [np.asarray(w, np.float64) for w in bn.get_weights()]
    s = g / np.sqrt(v + bn.epsilon)
    arrays = dict(keras_weights(model))
    np.testing.assert_array_equal(arrays["bn/s"], s)
    np.testing.assert_array_equal(arrays["bn/b"], b - s * m)
    want = [np.median(nz(model.get_layer("d1").get_weights()[0])), np.median(nz(s)), np.median(nz(b - s * m)),
            np.median(nz(model.get_layer("d2").get_weights()[0]))]
    np.testing.assert_allclose(medians(wp), want, rtol=1e-12)


def test_keras_activations_need_X():
    import keras

    keras.utils.set_random_seed(2)
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(2, name="out")(keras.layers.Dense(3, activation="relu", name="h")(inp)))
    X = np.random.default_rng(2).uniform(-1, 1, (50, 4)).astype(np.float32)
    wp, _, ap, _ = numerical(model, X=X)
    assert boxes(ap)[0] == ["h", "out"]
    h = keras.Model(inp, model.get_layer("h").output).predict(X, verbose=0)
    assert medians(ap)[0] == pytest.approx(float(np.median(nz(h))), rel=1e-6)


class Nested:
    @staticmethod
    def build():
        import torch
        from torch import nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(6, 8), nn.BatchNorm1d(8)])
                self.out = nn.Sequential(nn.ReLU(), nn.Linear(8, 3))

            def forward(self, x):
                for lay in self.layers:
                    x = lay(x)
                return self.out(x)

        torch.manual_seed(3)
        return Block().eval()


def test_torch_modules_of_any_structure():
    import torch

    model = Nested.build()
    with torch.no_grad():
        model.layers[1].running_mean.uniform_(-0.5, 0.5)
        model.layers[1].running_var.uniform_(0.5, 2.0)
    wp, wph, ap, aph = numerical(model)
    assert (wph, ap, aph) == (None, None, None)
    # batch-norm weight 1, bias 0: its folded bias -mean/sqrt(var+eps) is nonzero here
    assert boxes(wp) == (["layers.0/weight", "layers.0/bias", "layers.1/s", "layers.1/b", "out.1/weight",
                          "out.1/bias"], 6)
    bn = model.layers[1]
    s = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy().astype(np.float64)
    arrays = dict(torch_weights(model))
    np.testing.assert_allclose(arrays["layers.1/s"], s, rtol=1e-6)
    X = np.random.default_rng(3).uniform(-1, 1, (40, 6))
    acts = dict(torch_activations(model, X))
    assert list(acts) == ["layers.0", "layers.1", "out.0", "out.1"]
    with torch.no_grad():
        y = model(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_array_equal(acts["out.1"], y.astype(np.float64))
    assert not model.training


@needs_gxx
def test_with_the_hls_model_and_data(tmp_path):
    import torch
    from torch import nn

    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    hm = hlsgen.convert_from_pytorch_model(model, (6,), output_dir=tmp_path / "prj")
    X = np.random.default_rng(4).uniform(-1, 1, (60, 6))
    wp, wph, ap, aph = numerical(model, hm, X)
    _, tr = hm.trace(X)
    labels, patches = boxes(aph)
    assert labels == ["input"] + [k for k in tr] and patches == 2 * len(labels)  # box and type range per row
    assert medians(aph)[1:] == pytest.approx([float(np.median(nz(tr[k]))) for k in tr], rel=1e-12)
    assert boxes(wph)[0] == ["1.weight", "1.bias", "2.weight", "2.bias"]
    assert boxes(ap)[0] == ["0", "1", "2"]
    # hls_model only: the weights figure is hlsgen's; no framework activations
    wp2, wph2, ap2, aph2 = numerical(hls_model=hm, X=X, plot="histogram")
    assert ap2 is None and None not in (wp2, wph2, aph2)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="give a model, an hls_model, or both"):
        numerical()
    with pytest.raises(TypeError, match="model must be a Keras or PyTorch model, got builtins.dict"):
        numerical({})
    with pytest.raises(ValueError, match="plot='violin': expected one of 'boxplot', 'histogram'"):
        numerical(Nested.build(), plot="violin")


def test_boxplot_of_longform_and_summary_data():
    """hls4ml's profiling.boxplot: one box per array label, the box from the first to the third
    quartile of the non-zero |x|, whiskers at its extremes, a line at 2^0 on a log2 axis."""
    from hlsgen.model.profiling import boxplot

    rng = np.random.default_rng(0)
    a, b = rng.lognormal(0, 1, 40), -rng.lognormal(2, 0.5, 30)
    data = {"x": np.concatenate([a, [0.0], b]), "weight": ["d1/w"] * 41 + ["d2/b"] * 30}
    fig = boxplot(data, fmt="longform")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and any(list(line.get_xdata()) == [1, 1] for line in ax.get_lines())
    boxes = [p for p in ax.patches if p.get_facecolor()[:3] != (0.5, 0.5, 0.5)]
    spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in boxes)
    want = sorted((np.percentile(np.abs(v), 25), np.percentile(np.abs(v), 75)) for v in (a, b))
    np.testing.assert_allclose(spans, want)
    at = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert at["d1/w"] > at["d2/b"]  # the first array on top
    rows = [dict(med=1.0, q1=0.5, q3=2.0, whislo=0.25, whishi=4.0, weight="d1/w"),
            dict(med=8.0, q1=4.0, q3=16.0, whislo=2.0, whishi=32.0, weight="d1/b")]
    ax = boxplot(rows, fmt="summary").axes[0]
    spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
    assert spans == [(0.5, 2.0), (4.0, 16.0)]
    with pytest.raises(ValueError, match="summary row 0 lacks whishi"):
        boxplot([dict(med=1, q1=0.5, q3=2, whislo=0.1)], fmt="summary")
    with pytest.raises(ValueError, match="fmt='wide': expected 'longform' or 'summary'"):
        boxplot(data, fmt="wide")
