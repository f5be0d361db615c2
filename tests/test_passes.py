"""Graph passes (hlsgen.passes): one test per pass on a tiny graph -- the numpy goldens give
the same outputs before and after, and the graph changed as the pass promises -- and the
runner's contract (fixed point, loud errors naming the pass)."""
from __future__ import annotations

import copy
import importlib
import inspect

import numpy as np
import pytest

from hlsgen import passes
from hlsgen.flow import PassContext
from hlsgen.fixed import parse_type
from hlsgen.ir.evaluate import outputs
from hlsgen.ir.graph import Graph, GraphInput
from hlsgen.layers import LAYER_KINDS, TypeContext
from hlsgen.passes import (OPTIMIZE, TYPED, FoldBatchNorm, FuseActivation, InferTypes, Pass, PassError, RemoveIdentity,
                           run_flow, run_to_fixed_point)

RNG = np.random.default_rng(7)
N_IN, N_OUT = 6, 4
# weights on a coarse grid and power-of-two scales: every folded value is exact in the
# auto types, so folding must not change a single output bit
W = np.round(RNG.uniform(-2, 2, (N_IN, N_OUT)) * 8) / 8
B = np.round(RNG.uniform(-1, 1, N_OUT) * 8) / 8
SCALE = np.array([0.5, 2.0, -1.0, 0.25])
SHIFT = np.array([0.25, -0.5, 1.0, 0.0])
X = np.round(RNG.uniform(-3, 3, (64, N_IN)) * 16) / 16


def chain(*specs, shape=(N_IN,)):
    """x -> layers in order; each spec (kind, name, attrs, weights)."""
    g = Graph("t")
    gi = GraphInput("x", "x", "x_in")
    g.add_input(gi, shape)
    t = gi.tensor
    for kind, name, attrs, weights in specs:
        layer = LAYER_KINDS[kind](name, name, [t], [f"{name}_out"], attrs, weights)
        g.add_tensor(f"{name}_out", layer.output_shape(g.input_shapes(layer)))
        g.add_layer(layer)
        t = f"{name}_out"
    g.outputs = [t]
    return g


def dense(name="fc", activation="linear"):
    return ("Dense", name, {"activation": activation}, {"weight": W, "bias": B})


def bn(name="bn"):
    return ("BatchNormalization", name, {}, {"scale": SCALE, "bias": SHIFT})


def relu(name="act"):
    return ("Activation", name, {"activation": "relu"}, None)


def identity(name):
    return ("Identity", name, {}, None)


def context(default="fixed<32,12,RND,SAT>"):
    return PassContext(TypeContext(parse_type(default)), {"x": parse_type("fixed<16,6>")})


def golden(graph, default="fixed<32,12,RND,SAT>"):
    """The numpy outputs of a (typed copy of) ``graph``."""
    g = copy.deepcopy(graph)
    passes.infer_types(g, context(default))
    return outputs(g, [X])[0]


def kinds(graph):
    return [lay.kind for lay in graph.layers]


# ---------------------------------------------------------------------- remove_identity
def test_remove_identity_removes_every_no_op_and_keeps_the_outputs():
    g = chain(dense(), identity("drop1"), identity("drop2"), relu())
    before = golden(g)
    g2 = run_to_fixed_point(g, RemoveIdentity())
    assert g2 is g and kinds(g) == ["Dense", "Activation"]
    assert g.layers[1].inputs == ["fc_out"] and set(g.tensors) == {"x_in", "fc_out", "act_out"}
    np.testing.assert_array_equal(golden(g), before)
    assert RemoveIdentity().apply(g) == (g, False)  # nothing left: no change reported


def test_remove_identity_rewires_a_graph_output():
    g = chain(dense(), identity("drop"))
    before = golden(g)
    run_to_fixed_point(g, RemoveIdentity())
    assert kinds(g) == ["Dense"] and g.outputs == ["fc_out"]
    np.testing.assert_array_equal(golden(g), before)


# ---------------------------------------------------------------------- fold_batchnorm
def test_fold_batchnorm_folds_into_the_dense_weights_bit_exactly():
    g = chain(dense(), bn(), relu())
    before = golden(g)
    run_to_fixed_point(g, FoldBatchNorm())
    assert kinds(g) == ["Dense", "Activation"]
    fc = g.layers[0]
    np.testing.assert_array_equal(fc.weights["weight"], W * SCALE)
    np.testing.assert_array_equal(fc.weights["bias"], B * SCALE + SHIFT)
    assert fc.outputs == ["bn_out"] and fc.aliases == ["bn"]  # traced under the folded layer's name too
    assert "types" not in fc.attrs  # no carried types: nothing to hold
    np.testing.assert_array_equal(golden(g), before)


@pytest.mark.parametrize("why,graph", [
    ("fused activation", lambda: chain(dense(activation="relu"), bn())),
    ("no folding layer", lambda: chain(relu(), bn(), shape=(N_OUT,))),
])
def test_fold_batchnorm_leaves_illegal_pairs(why, graph):
    g = graph()
    before = golden(g)
    assert FoldBatchNorm().apply(g) == (g, False), why
    assert "BatchNormalization" in kinds(g)
    np.testing.assert_array_equal(golden(g), before)


def test_fold_batchnorm_keeps_a_shared_or_typed_pre_norm_output():
    g = chain(dense(), bn())
    g.outputs.append("fc_out")  # the Dense output is a graph output as well
    assert not passes.fold_batchnorm(g)
    g = chain(dense(), bn())
    g.layers[1].cfg.precision = {"result": "fixed<12,4>"}  # the user fixed the normalized precision
    assert not passes.fold_batchnorm(g)
    g = chain(dense(), bn())
    g.layers[0].cfg.precision = {"result": "fixed<12,4>"}  # ... or the pre-norm one
    assert not passes.fold_batchnorm(g)


def test_fold_batchnorm_holds_carried_types_exactly():
    """Types the model carried (QKeras) held the unfolded values; the folded ones get exact types."""
    g = chain(("Dense", "fc", {"types": {"weight": "fixed<6,3>", "bias": "fixed<6,3>"}}, {"weight": W, "bias": B}),
              bn())
    run_to_fixed_point(g, FoldBatchNorm())
    fc = g.layers[0]
    for key in ("weight", "bias"):
        t = parse_type(fc.attrs["types"][key])
        assert t.fractional >= 5  # replaced: fixed<6,3> cannot hold W * 0.25 (multiples of 2^-5)
        np.testing.assert_array_equal(t.quantize(fc.weights[key]), fc.weights[key])


def test_fold_batchnorm_calls_the_frontend_rule_with_the_unfolded_values():
    seen = []

    def rule(prev, norm, before):
        seen.append((norm.name, before["weight"].copy(), before["bias"].copy()))
        return {"weight": "fixed<20,6>"}

    g = chain(dense(), bn())
    run_to_fixed_point(g, FoldBatchNorm(rule))
    (name, w, b), = seen
    assert name == "bn"
    np.testing.assert_array_equal(w, W)
    np.testing.assert_array_equal(b, B)
    assert g.layers[0].attrs["types"] == {"weight": "fixed<20,6>"}


# ---------------------------------------------------------------------- fuse_activation
def test_fuse_activation_fuses_relu_into_a_saturating_dense():
    g = chain(dense(), relu())
    ctx = context("fixed<16,6,RND,SAT>")
    passes.infer_types(g, ctx)
    before = outputs(g, [X])[0]
    run_to_fixed_point(g, FuseActivation())
    assert kinds(g) == ["Dense"] and g.layers[0].attrs["activation"] == "relu"
    assert g.outputs == ["act_out"] and g.layers[0].aliases == ["act"]
    passes.infer_types(g, ctx)
    np.testing.assert_array_equal(outputs(g, [X])[0], before)
    assert (before == 0).any() and (before > 0).any()  # the ReLU did something


def test_fuse_activation_keeps_a_wrapping_pair_apart():
    g = chain(dense(), relu())
    passes.infer_types(g, context("fixed<16,6>"))  # AP_WRAP: relu(wrap(acc)) != wrap(relu(acc))
    assert FuseActivation().apply(g) == (g, False)
    assert kinds(g) == ["Dense", "Activation"]


def test_fuse_activation_ignores_relu_variants():
    g = chain(dense(), ("Activation", "r6", {"activation": "relu", "max_value": 6.0}, None))
    passes.infer_types(g, context("fixed<16,6,RND,SAT>"))
    assert not passes.fuse_activation(g)


# ---------------------------------------------------------------------- infer_types
def test_infer_types_types_every_tensor_and_settles_at_once():
    g = chain(dense(), relu())
    g2, changed = InferTypes().apply(g, context())
    assert g2 is g and changed is False
    assert all(t.type is not None for t in g.tensors.values())
    assert str(g.tensors["x_in"].type) == str(parse_type("fixed<16,6>"))
    with pytest.raises(ValueError, match="infer_types needs a pass context"):
        InferTypes().apply(g)


def test_the_flows_run_every_pass_bit_exactly():
    g = chain(dense(), identity("drop"), bn(), relu())
    ctx = context("fixed<32,12,RND,SAT>")
    before = golden(g)
    run_flow(g, OPTIMIZE, ctx)
    run_flow(g, TYPED, ctx)
    assert kinds(g) == ["Dense"] and g.layers[0].attrs["activation"] == "relu"
    np.testing.assert_array_equal(outputs(g, [X])[0], before)


# ---------------------------------------------------------------------- the runner's contract
class Forever(Pass):
    name = "forever"

    def apply(self, graph, ctx=None):
        return graph, True


class Breaker(Pass):
    name = "breaker"

    def apply(self, graph, ctx=None):
        graph.layers.pop(0)  # drops a producer without rewiring its readers
        return graph, True


def test_a_pass_that_never_settles_is_a_loud_error_naming_it():
    g = chain(dense(), relu())
    with pytest.raises(PassError, match=r"pass forever still changed the graph after 14 applications"):
        run_to_fixed_point(g, Forever())


def test_a_pass_that_breaks_the_graph_is_named():
    g = chain(dense(), relu())
    with pytest.raises(PassError, match=r"pass breaker left the graph inconsistent: layer 'act' reads tensor 'fc_out'"):
        run_flow(g, [RemoveIdentity(), Breaker()])


def test_flows_take_pass_objects_only():
    with pytest.raises(TypeError, match="is not a Pass"):
        run_flow(chain(dense()), ["remove_identity"])
    assert all(isinstance(p, Pass) and p.name for p in OPTIMIZE + TYPED)
    assert [p.name for p in OPTIMIZE + TYPED] == ["remove_identity", "fold_batchnorm", "infer_types",
                                                  "fuse_activation", "infer_types"]


# ---------------------------------------------------------------------- capabilities, not kind names
def test_capability_flags_name_the_kinds_the_passes_act_on():
    conv_like = {"Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D"}
    assert {k for k, c in LAYER_KINDS.items() if c.folds_affine} == conv_like
    assert {k for k, c in LAYER_KINDS.items() if c.fuses_relu} == conv_like
    assert {k for k, c in LAYER_KINDS.items() if c.is_channel_affine} == {"BatchNormalization"}
    assert {k for k, c in LAYER_KINDS.items() if c.is_identity is True} == {"Identity"}
    # a Softmax is an identity only when configured with Strategy 'skip' (a per-layer property)
    sm = LAYER_KINDS["Softmax"]("s", "s", ["x"], ["y"], {})
    assert sm.is_identity is False
    sm.configure({}, "skip")
    assert sm.is_identity is True
    make = lambda **a: LAYER_KINDS["Activation"]("a", "a", ["x"], ["y"], a)  # noqa: E731
    assert make(activation="relu").is_plain_relu and make(activation="relu").rounds_once
    assert not make(activation="relu", max_value=6.0).is_plain_relu
    assert not make(activation="leaky_relu", alpha=0.1).rounds_once
    assert not make(activation="sigmoid").rounds_once


def test_no_pass_and_no_onnx_clean_up_lists_kind_names():
    from hlsgen.converters.onnx import frontend

    for mod in ("fold_batchnorm", "fuse_activation", "remove_identity"):
        src = inspect.getsource(importlib.import_module(f"hlsgen.passes.{mod}"))
        assert ".kind" not in src, mod
    src = inspect.getsource(frontend.Converter._fold_affine) + inspect.getsource(frontend.Converter._merge_one_cast)
    assert ".kind" not in src
