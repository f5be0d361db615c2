"""hls4ml's numerical profiling API: ``numerical(model=None, hls_model=None, X=None,
plot='boxplot')`` returns the four figures hls4ml returns, ``(wp, wph, ap, aph)``:

* ``wp``: the distribution of the nonzero |weights| of ``model`` (Keras 3, tf_keras or
  PyTorch; a batch-norm as its scale and bias, as hls4ml folds it), one box per array;
  without ``model``, hlsgen's stored weights (hlsgen keeps no unoptimized model);
* ``wph``: hlsgen's stored weights of ``hls_model``, each box over its type's range (shaded);
* ``ap``: ``model``'s nonzero |activations| on ``X``, one box per layer output (PyTorch:
  per leaf module, through forward hooks);
* ``aph``: hlsgen's bit-accurate C-simulation values on ``X`` (``hls_model.trace``), with
  the type ranges.

A figure whose inputs are missing is None (no ``hls_model``: ``wph`` and ``aph``; no ``X``:
``ap`` and ``aph``).  Arrays that are all zeros are left out, as hls4ml does.  ``plot``:
'boxplot' or 'histogram' (power-of-two bins).  Needs matplotlib (``pip install
hlsgen[profiling]``), imported only here.
"""
from __future__ import annotations

import numpy as np

PLOTS = ("boxplot", "histogram")
MAX_SAMPLES = 2000


def _nonzero_abs(a) -> np.ndarray:
    a = np.abs(np.asarray(a, dtype=np.float64).ravel())
    return a[a > 0]


# ---------------------------------------------------------------------- framework values
def _kind(model) -> str | None:
    """'keras', 'torch' or None."""
    if model is None:
        return None
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("keras", "tf_keras", "qkeras", "tensorflow"):
            return "keras"
        if root == "torch":
            return "torch"
    return None


def _folded_bn(gamma, beta, mean, var, eps):
    s = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)
    return [("s", s), ("b", np.asarray(beta, np.float64) - s * np.asarray(mean, np.float64))]


def keras_weights(model) -> list:
    """[(label, array)] of a Keras model's weights, layer by layer (``layer/variable``)."""
    out = []
    for lay in model.layers:
        ws = [np.asarray(w) for w in lay.get_weights()]
        if type(lay).__name__ in ("BatchNormalization", "QBatchNormalization") and len(ws) == 4:
            named = _folded_bn(*ws, lay.epsilon)
        else:
            named = [((getattr(v, "path", None) or v.name).split("/")[-1].split(":")[0], w)
                     for v, w in zip(lay.weights, ws)]
        out += [(f"{lay.name}/{k}", w) for k, w in named]
    return out


def torch_weights(model) -> list:
    """[(label, array)] of a PyTorch module's parameters, leaf module by leaf module
    (``module/parameter``); a batch-norm with running statistics as its scale and bias."""
    out = []
    for fqn, mod in model.named_modules():
        params = list(mod.named_parameters(recurse=False))
        if not params or list(mod.children()):
            continue
        name = fqn or type(mod).__name__
        if type(mod).__name__.startswith("BatchNorm") and getattr(mod, "running_mean", None) is not None:
            p = dict(params)
            named = _folded_bn(p["weight"].detach().numpy(), p["bias"].detach().numpy(),
                               mod.running_mean.numpy(), mod.running_var.numpy(), mod.eps)
        else:
            named = [(k, v.detach().numpy()) for k, v in params]
        out += [(f"{name}/{k}", w) for k, w in named]
    return out


def keras_activations(model, X) -> list:
    from .profiling import framework_outputs

    names = [lay.name for lay in model.layers if type(lay).__name__ != "InputLayer"]
    ys = framework_outputs(model, names, X)
    return [(n, ys[n]) for n in names if n in ys]


def torch_activations(model, X) -> list:
    """[(module name, output)] of every leaf module on X, in call order (forward hooks)."""
    import torch

    seen, hooks = [], []

    def hook(name):
        def f(_mod, _inp, out):
            out = out[0] if isinstance(out, (tuple, list)) else out
            if isinstance(out, torch.Tensor):
                seen.append((name, out.detach().numpy().astype(np.float64)))
        return f

    for fqn, mod in model.named_modules():
        if fqn and not list(mod.children()):
            hooks.append(mod.register_forward_hook(hook(fqn)))
    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    try:
        was = model.training
        model.eval()
        with torch.no_grad():
            model(*[torch.tensor(np.asarray(x), dtype=torch.float32) for x in xs])
        model.train(was)
    finally:
        for h in hooks:
            h.remove()
    return seen


# ---------------------------------------------------------------------- hlsgen values
def hls_weights(hm) -> list:
    """[(label, stored array, type)] of an HLSModel's weights."""
    from .profiling import weight_series

    return [(s.name, s.fixed, s.type) for s in weight_series(hm)]


def hls_activations(hm, X) -> list:
    from .profiling import activation_series

    return [(s.name, s.fixed, s.type) for s in activation_series(hm, X)]


# ---------------------------------------------------------------------- figures
def _boxes(ax, stats) -> list:
    """Horizontal boxes from box statistics (med, q1, q3, whislo, whishi, label), the first on
    top, filled; a log2 axis and a dashed line at 1 (2^0).  Returns the boxes' positions."""
    import matplotlib
    from matplotlib.patches import Rectangle

    pos = list(range(len(stats), 0, -1))
    if stats:
        major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
        kw = dict(orientation="horizontal") if (major, minor) >= (3, 10) else dict(vert=False)
        bp = ax.bxp(stats, positions=pos, showfliers=False, medianprops=dict(color="k"), **kw)
        for line in bp["boxes"]:  # one filled box (a patch) per array
            x, y = line.get_xdata(), line.get_ydata()
            ax.add_patch(Rectangle((min(x), min(y)), max(x) - min(x), max(y) - min(y), color="#6fa8dc", zorder=2))
    ax.set_xscale("log", base=2)
    ax.axvline(1, color="gray", linestyle="--", linewidth=1, zorder=0)
    return pos


STAT_KEYS = ("med", "q1", "q3", "whislo", "whishi")


def boxplot(data, fmt="longform"):
    """hls4ml's ``profiling.boxplot``: one horizontal box per array, on a log2 axis with a line
    at 1.  ``fmt='longform'``: ``data['x']`` the values and ``data['weight']`` (or
    ``data['layer']``) the array each belongs to (a pandas DataFrame or a dict of columns);
    the boxes are of the non-zero |x|.  ``fmt='summary'``: a list of dicts with the box
    statistics ``med``, ``q1``, ``q3``, ``whislo``, ``whishi`` and the label ``weight`` (or
    ``layer``).  Returns the matplotlib Figure."""
    from .profiling import _label, _matplotlib

    plt = _matplotlib()
    if fmt == "longform":
        key = "weight" if "weight" in data else "layer"
        x, labels = np.asarray(data["x"], dtype=np.float64), np.asarray(data[key]).astype(str)
        if x.shape != labels.shape:
            raise ValueError(f"boxplot: 'x' has {x.size} values but {key!r} has {labels.size} labels")
        order = list(dict.fromkeys(labels.tolist()))
        stats = []
        for name in order:
            v = _nonzero_abs(x[labels == name])
            if v.size:
                stats.append(dict(med=np.median(v), q1=np.percentile(v, 25), q3=np.percentile(v, 75),
                                  whislo=v.min(), whishi=v.max(), label=_label(name)))
    elif fmt == "summary":
        stats = []
        for k, row in enumerate(data):
            missing = [s for s in STAT_KEYS if s not in row]
            if missing:
                raise ValueError(f"boxplot: summary row {k} lacks {', '.join(missing)}")
            stats.append(dict({s: float(row[s]) for s in STAT_KEYS},
                              label=_label(str(row.get("weight", row.get("layer", k))))))
    else:
        raise ValueError(f"boxplot: fmt={fmt!r}: expected 'longform' or 'summary'")
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.4 * max(len(stats), 1)))
    _boxes(ax, stats)
    ax.set_xlabel("|x|")
    fig.tight_layout()
    return fig


def _figure(rows, title, plot):
    """rows: [(label, values, type or None)]; one box (or one histogram) per row with data."""
    from matplotlib.patches import Rectangle

    from .profiling import _label, _matplotlib

    plt = _matplotlib()
    rows = [(n, _nonzero_abs(v), t) for n, v, t in rows]
    rows = [r for r in rows if r[1].size]
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.4 * max(len(rows), 1)))
    if plot == "histogram":
        for name, v, _t in rows:
            lo, hi = np.floor(np.log2(v.min())) - 1, np.ceil(np.log2(v.max())) + 1
            h, b = np.histogram(np.log2(v), bins=np.arange(lo, hi + 1))
            ax.step(b[:-1], h / h.sum(), where="post", label=_label(name))
        ax.set_xlabel("log2 |x|")
        ax.set_ylabel("frequency")
        if rows:
            ax.legend(fontsize=7)
    else:
        stats = [dict(med=np.median(v), q1=np.percentile(v, 25), q3=np.percentile(v, 75), whislo=v.min(),
                      whishi=v.max(), label=_label(name)) for name, v, _t in rows]
        pos = _boxes(ax, stats)
        for p, (_n, _v, t) in zip(pos, rows):
            if t is not None:  # the type's range, from its LSB to its largest value
                ax.add_patch(Rectangle((t.lsb, p - 0.4), max(t.max_value, t.lsb) - t.lsb, 0.8, color="grey",
                                       alpha=0.2, zorder=0))
        ax.set_xlabel("|x|" + ("   (shaded: the type's range)" if any(t is not None for *_, t in rows) else ""))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def numerical(model=None, hls_model=None, X=None, plot="boxplot"):
    """(wp, wph, ap, aph): see the module docstring."""
    from .profiling import _matplotlib

    _matplotlib()
    if plot not in PLOTS:
        raise ValueError(f"plot={plot!r}: expected one of {', '.join(map(repr, PLOTS))}")
    kind = _kind(model)
    if model is not None and kind is None:
        raise TypeError(f"numerical: model must be a Keras or PyTorch model, got {type(model).__module__}."
                        f"{type(model).__name__}")
    if hls_model is not None and not hasattr(hls_model, "graph"):
        raise TypeError(f"numerical: hls_model must be an HLSModel, got {type(hls_model).__name__}")
    if model is None and hls_model is None:
        raise ValueError("numerical: give a model, an hls_model, or both")
    if X is not None:
        X = [np.asarray(x)[:MAX_SAMPLES] for x in X] if isinstance(X, (list, tuple)) else np.asarray(X)[:MAX_SAMPLES]
    hw = hls_weights(hls_model) if hls_model is not None else None
    if model is not None:
        fw = keras_weights(model) if kind == "keras" else torch_weights(model)
        wp = _figure([(n, w, None) for n, w in fw], f"Distribution of (non-zero) weights ({_origin(kind)})", plot)
    else:
        wp = _figure(hw, "Distribution of (non-zero) weights (hlsgen)", plot)
    wph = _figure(hw, "Distribution of (non-zero) weights (hlsgen, final)", plot) if hw is not None else None
    ap = aph = None
    if X is not None and model is not None:
        acts = keras_activations(model, X) if kind == "keras" else torch_activations(model, X)
        ap = _figure([(n, a, None) for n, a in acts], f"Distribution of (non-zero) activations ({_origin(kind)})",
                     plot)
    if X is not None and hls_model is not None:
        aph = _figure(hls_activations(hls_model, X), "Distribution of (non-zero) activations (hlsgen, final)", plot)
    return wp, wph, ap, aph


def _origin(kind) -> str:
    return {"keras": "Keras", "torch": "PyTorch"}[kind]
