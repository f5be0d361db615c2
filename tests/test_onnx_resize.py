"""ONNX Resize (mode 'nearest') -> UpSampling1D/2D, against onnx's reference evaluator:
whole factors (``size``) and any other factor or coordinate mode (index tables); the C
simulation equals the numpy golden and the reference bit for bit (values are copied)."""
import numpy as np
import pytest

import hlsgen
from hlsgen.converters.onnx import OnnxConversionError, from_hls_layout, to_hls_layout

from conftest import grid, needs_gxx

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402


def resize_model(shape, scales=None, sizes=None, **attrs):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] + list(shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * (len(shape) + 1))  # sizes from inference
    inits, ins = [], ["x", ""]
    if scales is not None:
        inits.append(helper.make_tensor("scales", TensorProto.FLOAT, [len(scales)], scales))
        ins.append("scales")
    else:
        inits.append(helper.make_tensor("sizes", TensorProto.INT64, [len(sizes)], sizes))
        ins += ["", "sizes"]
    node = helper.make_node("Resize", ins, ["y"], name="resize", mode="nearest", **attrs)
    g = helper.make_graph([node], "g", [x], [y], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


CASES = {
    "whole2d": ((2, 3, 4), dict(scales=[1, 1, 2, 3], coordinate_transformation_mode="asymmetric", nearest_mode="floor")),
    "fraction2d": ((2, 6, 8), dict(scales=[1, 1, 1, 2.4], coordinate_transformation_mode="asymmetric",
                                   nearest_mode="floor")),
    "half_pixel": ((2, 5), dict(scales=[1, 1, 1.5])),  # the defaults: half_pixel, round_prefer_floor
    "sizes_align": ((3, 4, 4), dict(sizes=[1, 3, 7, 6], coordinate_transformation_mode="align_corners",
                                    nearest_mode="round_prefer_ceil")),
    "down_ceil": ((2, 6, 9), dict(scales=[1, 1, 0.5, 0.75], coordinate_transformation_mode="pytorch_half_pixel",
                                  nearest_mode="ceil")),
}


@needs_gxx
@pytest.mark.parametrize("which", list(CASES))
def test_resize_nearest_against_reference(which, tmp_path):
    shape, kw = CASES[which]
    om = resize_model(shape, **kw)
    X = grid(np.random.default_rng(7), (10,) + shape, -2, 2).astype(np.float32)
    ref = np.concatenate([ReferenceEvaluator(om).run(None, {"x": X[i:i + 1]})[0] for i in range(len(X))])
    hm = hlsgen.convert_from_onnx_model(om, output_dir=tmp_path / "prj")
    up = [lay for lay in hm.graph.layers if lay.kind.startswith("UpSampling")]
    assert len(up) == 1 and ("rows" in up[0].attrs) == (which != "whole2d")
    Xh = to_hls_layout(hm, X)  # channels-last
    y = hm.predict(Xh)
    np.testing.assert_array_equal(y, hm.predict_golden(Xh))
    np.testing.assert_array_equal(from_hls_layout(hm, y), ref)


def test_resize_linear_refused():
    om = resize_model((2, 3, 4), scales=[1, 1, 2, 2])
    om.graph.node[0].attribute[0].s = b"linear"
    with pytest.raises(OnnxConversionError, match=r"node 'resize' \(Resize\): mode='linear' is not supported"):
        hlsgen.convert_from_onnx_model(om)


def test_resize_channels_refused():
    with pytest.raises(OnnxConversionError, match=r"resizing the batch or channel axis is not supported"):
        hlsgen.convert_from_onnx_model(resize_model((2, 3, 4), scales=[1, 2, 1, 1]))
