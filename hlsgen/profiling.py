"""Numerical profiling: weight and activation ranges against the chosen fixed-point types.

``numerical(model=None, hls_model=None, X=None, plot='boxplot')`` is hls4ml's API, four
figures (:mod:`.profiling_hls4ml`).  ``layer_figures(model, hm, X)`` returns hlsgen's own
matplotlib figures (one row per layer):

* ``"weights"``: per weight array (folded batch-norms included) the distribution of
  log2 |w| of its nonzero values, against its type's range (from the LSB to the largest
  value, shaded);
* ``"activations"``: per input and layer output the distribution of log2 |a| on ``X``,
  from the framework model (``model``, Keras) and from hlsgen's bit-accurate C simulation
  (``hm.trace``), against the result type's range;
* ``"compare"``: per layer output the distribution of log2 |fixed - framework| with the
  type's LSB marked, pairing each output only with the framework layer whose output it is
  (``hlsgen.saturation.model_output``: a fused output answers to the model layer whose
  output it gives, see ``HLSModel.fused``; the value before a split-off activation pairs
  with nothing).

``write_figures(figures, folder)`` saves each as PNG and SVG (SVG text stays text, so
layer names can be searched).  ``hlsgen profile PROJECT --data X.npy -o DIR`` does the
same from the command line, for a written project (and ``--model`` for the framework
side) or a model file.  Needs matplotlib: ``pip install hlsgen[profiling]``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fixed import FixedType, parse_type

MAX_SAMPLES = 2000

from .profiling_hls4ml import boxplot, numerical  # noqa: E402,F401  (hls4ml's API; matplotlib imported when called)


@dataclass
class Series:
    name: str
    type: FixedType
    fixed: np.ndarray | None = None  # hlsgen's values (weights: the stored values)
    framework: np.ndarray | None = None  # the framework's values


def _matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("hlsgen.profiling needs matplotlib: pip install hlsgen[profiling] "
                          "(or pip install matplotlib)") from None
    return plt


def _label(name: str) -> str:
    """A model name as matplotlib text: printable ASCII, no mathtext ($)."""
    s = "".join(c if c.isascii() and c.isprintable() else "?" for c in str(name))
    return s.replace("\\", "/").replace("$", r"\$")


# ---------------------------------------------------------------------- data
def weight_series(hm) -> list:
    from .saturation import output_name

    out = []
    for lay in hm.graph.layers:
        for key in lay.weight_vars:
            if key in lay.weights and key in lay.types:
                out.append(Series(f"{output_name(lay)}.{key}", lay.types[key], fixed=lay.weights[key].ravel()))
    return out


def _keras_outputs(model, names, X):
    """{name: output} of the Keras layers called ``names`` on X (one model, several outputs)."""
    from .converters.keras import keras_flavour

    flavour = keras_flavour(model)
    if flavour == "keras3":
        import keras as K
    else:
        import tf_keras as K
    have = {lay.name for lay in model.layers}
    names = [n for n in names if n in have]
    if not names:
        return {}
    sub = K.Model(model.inputs, [model.get_layer(n).output for n in names])
    ys = sub.predict(X, verbose=0)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    return {n: np.asarray(y, dtype=np.float64) for n, y in zip(names, ys)}


def framework_outputs(model, names, X) -> dict:
    """Framework values of the layers called ``names`` (Keras models; {} for other kinds)."""
    if model is None:
        return {}
    try:
        from .converters.keras import keras_flavour

        keras_flavour(model)
    except (TypeError, ImportError):
        return {}
    return _keras_outputs(model, names, X)


def activation_series(hm, X, model=None) -> list:
    from .saturation import model_output, output_name

    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    xs = [np.asarray(x)[:MAX_SAMPLES] for x in xs]
    _, tr = hm.trace(xs if len(xs) > 1 else xs[0])
    g = hm.graph
    rows = []
    for gi, x in zip(g.inputs, xs):
        t = g.tensors[gi.tensor].type
        rows.append(Series(gi.source_name, t, fixed=t.quantize(np.asarray(x, dtype=np.float64)).ravel(),
                           framework=np.asarray(x, dtype=np.float64).ravel()))
    layers = [lay for lay in g.layers if not lay.is_view]
    fw_names = [model_output(g, lay) for lay in layers]
    fw = framework_outputs(model, [n for n in fw_names if n], xs if len(xs) > 1 else xs[0])
    for lay, fw_name in zip(layers, fw_names):
        name = output_name(lay)
        ref = fw.get(fw_name) if fw_name else None
        rows.append(Series(name, lay.types["result"], fixed=tr[name].ravel(),
                           framework=None if ref is None else ref.ravel()))
    return rows


def project_series(project, X, model=None):
    """(weights, activations) of a written project: its stored weights and its C simulation's
    trace (types from hlsgen_meta.json), with ``model``'s framework outputs if given."""
    from .csim import Simulation, read_weight_values

    project = Path(project)
    meta = json.loads((project / "hlsgen_meta.json").read_text())
    weights = []
    for w in meta["weights"]:
        if w.get("kind", "weight") != "weight" or "precision" not in w:
            continue
        v = read_weight_values(project / w["file"])
        weights.append(Series(f"{w.get('output', w['layer'])}.{w['key']}", parse_type(w["precision"]), fixed=v))
    sim = Simulation(project)
    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    xs = [np.asarray(x)[:MAX_SAMPLES] for x in xs]
    _, tr = sim.trace(xs if len(xs) > 1 else xs[0])
    rows = []
    for spec, x in zip(meta["inputs"], xs):
        t = parse_type(spec["precision"])
        rows.append(Series(spec["name"], t, fixed=t.quantize(np.asarray(x, dtype=np.float64)).ravel(),
                           framework=np.asarray(x, dtype=np.float64).ravel()))
    entries = [t for t in meta["trace"] if "precision" in t]
    keys = [t.get("output") or t["name"] for t in entries]
    fw_names = [t.get("model_output", key) for t, key in zip(entries, keys)]
    fw = framework_outputs(model, [n for n in fw_names if n], xs if len(xs) > 1 else xs[0])
    for t, key, fw_name in zip(entries, keys, fw_names):
        ref = fw.get(fw_name) if fw_name else None
        rows.append(Series(key, parse_type(t["precision"]), fixed=tr[key].ravel(),
                           framework=None if ref is None else ref.ravel()))
    return weights, rows


# ---------------------------------------------------------------------- figures
def _log2_abs(v):
    v = np.abs(np.asarray(v, dtype=np.float64))
    v = v[v > 0]
    return np.log2(v) if v.size else np.array([])


def _hbox(ax, data, **kw):
    """A horizontal box plot (matplotlib 3.10 renamed vert=False to orientation='horizontal')."""
    import matplotlib

    major, minor = (int(v) for v in matplotlib.__version__.split(".")[:2])
    if (major, minor) >= (3, 10):
        return ax.boxplot(data, orientation="horizontal", **kw)
    return ax.boxplot(data, vert=False, **kw)


def _range_figure(rows, title, framework: bool):
    plt = _matplotlib()
    from matplotlib.patches import Patch, Rectangle

    n = len(rows)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * max(n, 1)))
    labels = []
    for i, r in enumerate(rows):
        y = n - 1 - i
        lo, hi = np.log2(r.type.lsb), np.log2(max(r.type.max_value, r.type.lsb))
        ax.add_patch(Rectangle((lo, y - 0.42), hi - lo, 0.84, color="#c9daf8", alpha=0.6, zorder=0))
        data = [(_log2_abs(r.fixed), y + (0.17 if framework else 0.0), "#1f4e79")]
        if framework and r.framework is not None:
            data.append((_log2_abs(r.framework), y - 0.17, "#e69138"))
        for d, pos, color in data:
            if d.size:
                _hbox(ax, [d], positions=[pos], widths=0.28, showfliers=True, patch_artist=True,
                           boxprops=dict(facecolor=color, alpha=0.8), medianprops=dict(color="black"),
                           flierprops=dict(markersize=2, markeredgecolor=color))
        labels.append(f"{_label(r.name)}\n{_label(str(r.type))}")
    ax.set_yticks(range(n - 1, -1, -1))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("log2 |value|   (shaded: the type's range, from its LSB to its largest value)")
    ax.set_title(title)
    handles = [Patch(color="#c9daf8", label="type range"), Patch(color="#1f4e79", label="hlsgen (fixed point)")]
    if framework:
        handles.append(Patch(color="#e69138", label="framework (float)"))
    ax.legend(handles=handles, loc="lower right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _compare_figure(rows, title):
    plt = _matplotlib()

    rows = [r for r in rows if r.framework is not None and r.fixed is not None and r.framework.size == r.fixed.size]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * max(n, 1)))
    labels = []
    for i, r in enumerate(rows):
        y = n - 1 - i
        diff = np.abs(r.fixed - r.framework)
        d = _log2_abs(diff)
        if d.size:
            _hbox(ax, [d], positions=[y], widths=0.5, patch_artist=True,
                       boxprops=dict(facecolor="#6aa84f", alpha=0.8), medianprops=dict(color="black"),
                       flierprops=dict(markersize=2))
        ax.plot([np.log2(r.type.lsb)] * 2, [y - 0.4, y + 0.4], color="red", lw=2)
        labels.append(f"{_label(r.name)}  max {diff.max(initial=0.0):.3g}\n{_label(str(r.type))}")
    ax.set_yticks(range(n - 1, -1, -1))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("log2 |fixed point - framework|   (red: the type's LSB)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def figures(weights, activations, title="") -> dict:
    figs = {"weights": _range_figure(weights, f"{title} weights and biases".strip(), framework=False),
            "activations": _range_figure(activations, f"{title} activations".strip(), framework=True)}
    if any(r.framework is not None for r in activations[1:] if r.fixed is not None) or activations:
        figs["compare"] = _compare_figure(activations, f"{title} fixed point against the framework".strip())
    return figs


def layer_figures(model=None, hm=None, X=None) -> dict:
    """Figures {'weights', 'activations', 'compare'} for ``hm`` (an HLSModel) on ``X``, with
    ``model``'s framework values where it is a Keras model.  Without ``X`` only the weights."""
    _matplotlib()
    if hm is None:
        raise ValueError("layer_figures(model, hm, X): hm (the converted HLSModel) is required")
    w = weight_series(hm)
    if X is None:
        return {"weights": _range_figure(w, f"{hm.project_name} weights and biases", framework=False)}
    return figures(w, activation_series(hm, X, model), hm.project_name)


def write_figures(figs: dict, folder) -> list:
    """Save every figure as ``<name>.png`` and ``<name>.svg`` in ``folder``; returns the paths."""
    plt = _matplotlib()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text in the SVG
        for name, fig in figs.items():
            for ext in ("png", "svg"):
                p = folder / f"{name}.{ext}"
                fig.savefig(p, dpi=110)
                paths.append(p)
    return paths


def get_ymodel_keras(keras_model, X) -> dict:
    """hls4ml's name: {layer name: output} of every layer of a Keras model on ``X`` (the
    input layers excluded), keyed as ``HLSModel.trace`` keys them: a layer with an
    ``activation`` option other than linear gives its value before the activation under its
    name and after it under ``<name>_<activation>`` (the layer hlsgen splits off)."""
    from .converters.keras.core import _activation_name

    names, split = [], []
    for lay in keras_model.layers:
        if type(lay).__name__ == "InputLayer":
            continue
        act = "linear"
        if hasattr(lay, "activation") and not type(lay).__name__.endswith("Activation"):  # not Activation layers
            act = _activation_name(lay.get_config().get("activation"))
        if act != "linear":
            split.append(lay)
        names.append((lay.name, f"{lay.name}_{act}" if act != "linear" else lay.name))
    out = {}
    for lay in split:  # the value before the activation: the layer run with a linear one
        saved = lay.activation
        lay.activation = _linear
        try:
            out.update(framework_outputs(keras_model, [lay.name], X))
        finally:
            lay.activation = saved
    values = framework_outputs(keras_model, [n for n, _ in names], X)
    out.update({key: values[n] for n, key in names if n in values})
    return out


def _linear(x):
    return x
