"""Resource-aware pruning masks (hlsgen.optimization.dsp_aware_pruning): weight groups,
layer attributes, the parameter objective and get_model_masks, checked against independent
numpy computations on constructed kernels."""
import itertools

import numpy as np
import pytest

from hlsgen.optimization.dsp_aware_pruning.config import SUPPORTED_STRUCTURES as S
from hlsgen.optimization.dsp_aware_pruning.groups import group_labels

keras = pytest.importorskip("keras")


def test_group_labels_by_structure():
    # a Dense kernel (n_in=3, n_out=4): a structure is a column; a pattern of 4 multipliers is one output's
    # 3 weights (output-major layout, runs of 12 / 4 = 3); two consecutive patterns are two neighbouring outputs
    assert (group_labels((3, 4), "dense", S.UNSTRUCTURED) == np.arange(12).reshape(3, 4)).all()
    assert (group_labels((3, 4), "dense", S.STRUCTURED) == np.tile(np.arange(4), (3, 1))).all()
    assert (group_labels((3, 4), "dense", S.PATTERN, pattern_offset=4) == np.tile(np.arange(4), (3, 1))).all()
    assert (group_labels((3, 4), "dense", S.PATTERN, pattern_offset=4, consecutive_patterns=2)
            == np.tile([0, 0, 1, 1], (3, 1))).all()
    # 6 multipliers: runs of 2 through the transposed kernel (output 0: inputs 0,1 | 2; output 1: 0 | 1,2 ...)
    transposed_runs = np.arange(12).reshape(4, 3) // 2
    assert (group_labels((3, 4), "dense", S.PATTERN, pattern_offset=6) == transposed_runs.T).all()
    assert (group_labels((4, 6), "dense", S.BLOCK, block_shape=(2, 3))
            == np.repeat(np.repeat([[0, 1], [2, 3]], 2, axis=0), 3, axis=1)).all()
    # a Conv2D kernel (kh, kw, c, f): patterns run over (f, kh, kw, c)
    conv = group_labels((2, 1, 2, 2), "conv2d", S.PATTERN, pattern_offset=4)
    for kh, kw, c, f in itertools.product(range(2), range(1), range(2), range(2)):
        assert conv[kh, kw, c, f] == (f * 4 + kh * 2 + kw * 2 + c) // 2
    assert (group_labels((2, 2, 3, 5), "conv2d", S.STRUCTURED)[..., 3] == 3).all()


@pytest.mark.parametrize("kwargs, msg", [
    (dict(shape=(3, 4), kind="dense", structure=S.PATTERN, pattern_offset=5), "pattern_offset 5 must divide"),
    (dict(shape=(3, 4), kind="dense", structure=S.PATTERN, pattern_offset=4, consecutive_patterns=3),
     "consecutive_patterns 3 must divide"),
    (dict(shape=(2, 2, 3, 4), kind="conv2d", structure=S.BLOCK), "BLOCK structures need a rank-2 kernel"),
    (dict(shape=(4, 6), kind="dense", structure=S.BLOCK, block_shape=(3, 3)), r"block_shape \(3, 3\) must divide"),
    (dict(shape=(4, 6), kind="dense", structure="block"), "SUPPORTED_STRUCTURES member"),
])
def test_group_labels_errors_name_the_layer(kwargs, msg):
    with pytest.raises(ValueError, match="layer 'fc'.*" + msg):
        group_labels(name="fc", **kwargs)


def _model(kernel_shape, conv=False, seed=0):
    from keras import layers
    rng = np.random.default_rng(seed)
    if conv:
        kh, kw, c, f = kernel_shape
        m = keras.Sequential([keras.Input((6, 6, c)), layers.Conv2D(f, (kh, kw), name="conv"), layers.Flatten(),
                              layers.Dense(2, name="out")])
    else:
        m = keras.Sequential([keras.Input((kernel_shape[0],)), layers.Dense(kernel_shape[1], name="fc"),
                              layers.Dense(2, name="out")])
    k = rng.uniform(0.1, 1.0, kernel_shape) * rng.choice([-1, 1], kernel_shape)
    m.layers[0].set_weights([k.astype("float32"), m.layers[0].get_weights()[1]])
    return m, m.layers[0].get_weights()[0]


def _optimize(attrs, name, structure, prune=True, share=False, **kw):
    a = attrs[name]
    a.optimizable = True
    a.optimization_attributes.structure_type = structure
    a.optimization_attributes.pruning = prune
    a.optimization_attributes.weight_sharing = share
    for k, v in kw.items():
        setattr(a.optimization_attributes, k, v)


def test_attributes_and_parameter_objective():
    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.objectives import ParameterEstimator
    m, _ = _model((3, 3, 2, 4), conv=True)
    attrs = get_attributes_from_keras_model(m)
    assert len(attrs) == 3 and list(attrs)[0] == "conv"
    conv = attrs["conv"]
    assert (conv.weight_shape, conv.input_shape, conv.output_shape) == ((3, 3, 2, 4), (6, 6, 2), (4, 4, 4))
    assert conv.inbound_layers == [] and attrs["out"].inbound_layers == [list(attrs)[1]]
    flat = attrs[list(attrs)[1]]
    assert flat.weight_shape == () and ParameterEstimator.is_layer_optimizable(flat) == (False, None)
    ok, opt = ParameterEstimator.is_layer_optimizable(conv)
    assert ok and opt.structure_type is S.UNSTRUCTURED and opt.pruning and not opt.weight_sharing
    conv.optimization_attributes = opt
    assert ParameterEstimator.layer_resources(conv) == [72] and ParameterEstimator.layer_savings(conv) == [1]
    _optimize(attrs, "conv", S.STRUCTURED)
    assert ParameterEstimator.layer_savings(conv) == [18]
    _optimize(attrs, "conv", S.PATTERN, pattern_offset=8, consecutive_patterns=2)
    assert ParameterEstimator.layer_savings(conv) == [18]
    _optimize(attrs, "conv", S.STRUCTURED, prune=False, share=True)
    assert ParameterEstimator.layer_savings(conv) == [0]  # sharing keeps every weight


def _keep_largest(importance, weight, capacity):
    """The reference for equal group weights: as many of the most important groups as fit."""
    k = int(capacity // weight)
    return set(np.argsort(-importance, kind="stable")[:k].tolist())


@pytest.mark.parametrize("local", [True, False])
@pytest.mark.parametrize("structure, kw", [
    (S.UNSTRUCTURED, {}), (S.STRUCTURED, {}), (S.PATTERN, dict(pattern_offset=6)),
    (S.PATTERN, dict(pattern_offset=6, consecutive_patterns=3)), (S.BLOCK, dict(block_shape=(2, 2))),
])
@pytest.mark.parametrize("metric", ["l1", "l2"])
def test_dense_masks_keep_the_groups_of_largest_norm(local, structure, kw, metric):
    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.keras.masking import get_model_masks
    from hlsgen.optimization.dsp_aware_pruning.objectives import ParameterEstimator
    m, k = _model((4, 6))
    attrs = get_attributes_from_keras_model(m)
    _optimize(attrs, "fc", structure, **kw)
    sparsity = 0.4
    masks, offsets = get_model_masks(m, attrs, sparsity, ParameterEstimator, metric=metric, local=local)
    assert set(masks) == {"fc"} and not offsets["fc"].any()
    labels = group_labels(k.shape, "dense", structure, **kw)
    n = labels.max() + 1
    ords = {"l1": lambda g: np.abs(g).sum(), "l2": lambda g: np.sqrt((g.astype(np.float64) ** 2).sum())}
    importance = np.array([ords[metric](k[labels == i]) for i in range(n)])
    size = k.size // n
    kept = _keep_largest(importance, size, int((1 - sparsity) * k.size))
    assert masks["fc"].dtype == k.dtype and set(np.unique(masks["fc"])) <= {0, 1}
    assert (masks["fc"] == np.isin(labels, list(kept))).all()


@pytest.mark.parametrize("local", [True, False])
def test_conv_structured_masks_and_block_error(local):
    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.keras.masking import get_model_masks
    from hlsgen.optimization.dsp_aware_pruning.objectives import ParameterEstimator
    m, k = _model((2, 2, 3, 5), conv=True)
    k[..., [1, 4]] *= 1e-3
    m.layers[0].set_weights([k, m.layers[0].get_weights()[1]])
    attrs = get_attributes_from_keras_model(m)
    _optimize(attrs, "conv", S.STRUCTURED)
    masks, _ = get_model_masks(m, attrs, 0.4, ParameterEstimator, local=local)
    assert (masks["conv"].reshape(-1, 5).all(axis=0) == [1, 0, 1, 1, 0]).all()
    _optimize(attrs, "conv", S.BLOCK)
    with pytest.raises(ValueError, match="layer 'conv': BLOCK structures need a rank-2 kernel"):
        get_model_masks(m, attrs, 0.4, ParameterEstimator, local=local)


class _SharedWeights:
    """Freezing a group (pruned or shared) saves its weights."""

    @classmethod
    def layer_resources(cls, a):
        return [int(np.prod(a.weight_shape))]

    @classmethod
    def layer_savings(cls, a):
        from hlsgen.optimization.dsp_aware_pruning.objectives import group_size
        return [group_size(a)]


@pytest.mark.parametrize("local", [True, False])
def test_weight_sharing_freezes_low_variance_groups_at_their_mean(local):
    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.keras.masking import get_model_masks
    m, k = _model((4, 6))
    k[:, 2] = [0.25, 0.26, 0.24, 0.25]  # nearly constant: cheap to share, but a large norm (kept by pruning)
    k[:, 5] = [1e-3, -1e-3, 2e-3, -2e-3]  # small, of mean 0: as cheap to prune as to share (pruned)
    m.layers[0].set_weights([k, m.layers[0].get_weights()[1]])
    attrs = get_attributes_from_keras_model(m)
    _optimize(attrs, "fc", S.STRUCTURED, prune=False, share=True)
    masks, offsets = get_model_masks(m, attrs, 0.2, _SharedWeights, local=local)  # 24 -> keep 19: 3 columns of 4
    k64 = k.astype(np.float64)
    deviation = np.abs(k64 - k64.mean(axis=0)).sum(axis=0)  # the l1 error of sharing each column's mean
    frozen = sorted(np.argsort(deviation)[:2].tolist())
    assert 2 in frozen
    assert (masks["fc"].all(axis=0) == ~np.isin(np.arange(6), frozen)).all()
    for j in range(6):
        assert np.allclose(offsets["fc"][:, j], k[:, j].astype(np.float64).mean() if j in frozen else 0)
    # pruning and sharing: column 5 is pruned (offset 0), column 2 shared (offset its mean)
    _optimize(attrs, "fc", S.STRUCTURED, prune=True, share=True)
    masks, offsets = get_model_masks(m, attrs, 0.2, _SharedWeights, local=local)
    assert (masks["fc"].all(axis=0) == [1, 1, 0, 1, 1, 0]).all()
    assert np.allclose(offsets["fc"][:, 2], 0.25) and not offsets["fc"][:, [0, 1, 3, 4]].any()
    assert np.allclose(offsets["fc"][:, 5], 0, atol=1e-9)


def test_global_masks_solve_one_knapsack_over_layers():
    from keras import layers

    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.keras.masking import get_model_masks
    from hlsgen.optimization.dsp_aware_pruning.knapsack import solve_knapsack
    from hlsgen.optimization.dsp_aware_pruning.objectives import ParameterEstimator
    rng = np.random.default_rng(3)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")])
    ka, kb = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(3, 2)).astype("float32") * 10
    m.layers[0].set_weights([ka, np.zeros(3, "float32")])
    m.layers[1].set_weights([kb, np.zeros(2, "float32")])
    attrs = get_attributes_from_keras_model(m)
    _optimize(attrs, "a", S.STRUCTURED)
    _optimize(attrs, "b", S.UNSTRUCTURED)
    masks, _ = get_model_masks(m, attrs, 0.5, ParameterEstimator, local=False)
    # reference: neurons of a (weight 4) and weights of b (weight 1), importances relative to each layer's largest
    na, nb = np.abs(ka).sum(axis=0), np.abs(kb).reshape(-1)
    values = np.concatenate([na / na.max(), nb / nb.max()])
    weights = np.array([[4] * 3 + [1] * 6])
    best, kept = solve_knapsack(values, weights, [9])
    assert (masks["a"].all(axis=0) == np.isin(np.arange(3), kept)).all()
    assert (masks["b"].reshape(-1) == np.isin(np.arange(6) + 3, kept)).all()
    assert 4 * masks["a"].all(axis=0).sum() + masks["b"].sum() <= 9
    # sparsity 0 keeps everything, 1 nothing
    assert all(mk.all() for mk in get_model_masks(m, attrs, 0, ParameterEstimator)[0].values())
    assert not any(mk.any() for mk in get_model_masks(m, attrs, 1, ParameterEstimator)[0].values())


def test_masking_errors():
    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning.keras.masking import get_model_masks
    from hlsgen.optimization.dsp_aware_pruning.objectives import ParameterEstimator
    m, _ = _model((4, 6))
    attrs = get_attributes_from_keras_model(m)
    _optimize(attrs, "fc", S.UNSTRUCTURED)
    with pytest.raises(ValueError, match="unknown metric 'l3'"):
        get_model_masks(m, attrs, 0.5, ParameterEstimator, metric="l3")
    with pytest.raises(ValueError, match="needs gradients"):
        get_model_masks(m, attrs, 0.5, ParameterEstimator, metric="oracle")
    with pytest.raises(ValueError, match="sparsity must be a fraction"):
        get_model_masks(m, attrs, 50, ParameterEstimator)
    _optimize(attrs, "fc", S.UNSTRUCTURED, prune=False, share=True)
    with pytest.raises(ValueError, match="layer 'fc': UNSTRUCTURED weight sharing is not possible"):
        get_model_masks(m, attrs, 0.5, ParameterEstimator)


def test_attributes_from_an_hls4ml_config():
    from keras import layers

    from hlsgen.convert import config_from_keras_model
    from hlsgen.optimization.dsp_aware_pruning import get_attributes_from_keras_model_and_hls4ml_config
    m = keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(4, (3, 2), name="conv"), layers.Flatten(name="flat"),
                          layers.Dense(5, name="fc")])
    cfg = config_from_keras_model(m, granularity="name", default_precision="ap_fixed<12,4>", default_reuse_factor=3)
    cfg["IOType"] = "io_stream"
    cfg["Model"]["Strategy"] = "Resource"
    cfg["LayerName"]["fc"]["ReuseFactor"] = 5
    for layer in cfg["LayerName"].values():
        for key, p in layer.get("Precision", {}).items():
            if p == "auto":
                layer["Precision"][key] = "ap_fixed<10,2>"
    cfg["LayerName"]["fc"]["Precision"]["weight"] = "ap_fixed<7,1>"
    attrs = get_attributes_from_keras_model_and_hls4ml_config(m, cfg)
    assert "hls4ml_attributes" not in attrs["flat"].args
    conv, fc = attrs["conv"].args["hls4ml_attributes"], attrs["fc"].args["hls4ml_attributes"]
    assert (conv.n_in, conv.n_out, conv.reuse_factor, conv.io_type, conv.strategy) == (6, 4, 3, "io_stream", "Resource")
    assert (fc.n_in, fc.n_out, fc.reuse_factor, fc.weight_precision.width, fc.weight_precision.integer) == \
        (4 * 5 * 4, 5, 5, 7, 1)  # the conv output: (6 - 3 + 1) x (6 - 2 + 1) x 4
    cfg["IOType"] = "io_serial"
    with pytest.raises(ValueError, match="unknown io_type 'io_serial'"):
        get_attributes_from_keras_model_and_hls4ml_config(m, cfg)


@pytest.mark.parametrize("structure, kw", [
    (S.UNSTRUCTURED, {}), (S.STRUCTURED, {}), (S.PATTERN, dict(pattern_offset=4, consecutive_patterns=2)),
    (S.BLOCK, dict(block_shape=(2, 3))),
])
@pytest.mark.parametrize("norm", [1, 2])
def test_dense_regularizer_penalty(structure, kw, norm):
    tf = pytest.importorskip("tensorflow")
    from hlsgen.optimization.dsp_aware_pruning.keras.regularizers import DenseRegularizer
    rng = np.random.default_rng(1)
    k = rng.normal(size=(4, 6))
    if structure is S.UNSTRUCTURED:
        groups = [k[i:i + 1, j] for i in range(4) for j in range(6)]
    elif structure is S.STRUCTURED:
        groups = [k[:, j] for j in range(6)]
    elif structure is S.PATTERN:  # runs of 24 / 4 = 6 through k.T, two runs a group: 2 output columns each
        groups = [k.T.reshape(-1)[12 * g:12 * (g + 1)] for g in range(2)]
    else:
        groups = [k[r:r + 2, c:c + 3] for r in (0, 2) for c in (0, 3)]
    norms = np.array([np.sqrt((g ** 2).sum()) for g in groups])
    variances = np.array([g.var() for g in groups]) if structure is not S.UNSTRUCTURED else np.array([k.var()])
    reduce = (lambda v: np.abs(v).sum()) if norm == 1 else (lambda v: np.sqrt((v ** 2).sum()))
    expected = 0.3 * reduce(norms) + 0.7 * reduce(variances)
    got = DenseRegularizer(0.3, 0.7, norm=norm, structure_type=structure, **kw)(tf.constant(k))
    assert np.isclose(float(got), expected)


def test_conv_regularizer_errors_and_removal():
    tf = pytest.importorskip("tensorflow")
    from hlsgen.optimization.dsp_aware_pruning.keras.builder import remove_custom_regularizers
    from hlsgen.optimization.dsp_aware_pruning.keras.regularizers import Conv2DRegularizer, DenseRegularizer
    with pytest.raises(ValueError, match="Conv2DRegularizer: unknown structure_type 'tiles'"):
        Conv2DRegularizer(1e-3, structure_type="tiles")
    with pytest.raises(ValueError, match="Conv2DRegularizer: BLOCK structures need a rank-2 kernel"):
        Conv2DRegularizer(1e-3, structure_type=S.BLOCK)
    with pytest.raises(ValueError, match="DenseRegularizer regularizes rank-2 kernels"):
        DenseRegularizer(1e-3)(tf.zeros((2, 2, 3, 4)))
    # a filter's group: its kh x kw x channels weights
    k = np.zeros((2, 2, 3, 4))
    k[..., 1] = 2.0
    assert np.isclose(float(Conv2DRegularizer(1.0, structure_type="structured")(tf.constant(k))), np.sqrt(12 * 4))
    m = tf.keras.Sequential([tf.keras.Input((6, 6, 3)),
                             tf.keras.layers.Conv2D(2, 3, kernel_regularizer=Conv2DRegularizer(1e-3)),
                             tf.keras.layers.Flatten(), tf.keras.layers.Dense(1, kernel_regularizer=DenseRegularizer(1e-3))])
    plain = remove_custom_regularizers(m)
    assert all(getattr(layer, "kernel_regularizer", None) is None for layer in plain.layers)
    assert all((a == b).all() for a, b in zip(m.get_weights(), plain.get_weights()))


def test_reduce_model_removes_dead_channels_and_keeps_the_function():
    from keras import layers

    from hlsgen.optimization.dsp_aware_pruning.keras.reduction import reduce_model
    from hlsgen.optimization.dsp_aware_pruning.keras.utils import get_last_layer_with_weights, get_model_sparsity
    rng = np.random.default_rng(5)
    m = keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(5, 3, name="c", activation="relu"),
                          layers.MaxPooling2D(2), layers.Flatten(name="f"), layers.Dense(7, name="d", activation="relu"),
                          layers.Dense(3, name="out")])
    dead = {"c": [1, 3], "d": [0, 4, 6], "out": [2]}
    for layer in m.layers:
        if layer.name in dead:
            w = layer.get_weights()
            w[0] = rng.normal(size=w[0].shape).astype("float32")
            w[1] = rng.normal(size=w[1].shape).astype("float32")
            w[0][..., dead[layer.name]] = 0
            w[1][dead[layer.name]] = 0
            layer.set_weights(w)
    total, per_layer = get_model_sparsity(m)
    assert np.isclose(per_layer["c"], 2 / 5) and np.isclose(per_layer["d"], 3 / 7) and 0 < total < 1
    assert get_last_layer_with_weights(m) == 4
    r = reduce_model(m)
    assert r.get_layer("c").get_weights()[0].shape == (3, 3, 2, 3)
    assert r.get_layer("d").get_weights()[0].shape == (2 * 2 * 3, 4)  # 2x2 positions x 3 filters in, 4 neurons out
    assert r.get_layer("out").get_weights()[0].shape == (4, 3)        # the labels stay
    x = rng.normal(size=(4, 6, 6, 2)).astype("float32")
    assert np.allclose(m.predict(x, verbose=0), r.predict(x, verbose=0), atol=1e-5)


def test_attributes_of_a_functional_model():
    from keras import layers

    from hlsgen.optimization.dsp_aware_pruning.attributes import get_attributes_from_keras_model
    i = keras.Input((4,))
    a, b = layers.Dense(3, name="a")(i), layers.Dense(3, name="b")(i)
    m = keras.Model(i, layers.Add(name="sum")([a, b]))
    attrs = get_attributes_from_keras_model(m)
    assert attrs["a"].inbound_layers == [] and attrs["sum"].inbound_layers == ["a", "b"]
    assert attrs["sum"].input_shape == [(3,), (3,)] and attrs["sum"].output_shape == (3,)
    assert attrs[m.layers[0].name].input_shape == (4,) and attrs["a"].weight_shape == (4, 3)
