"""QKeras QSimpleRNN, QLSTM and QGRU: the logits of a model with quantizer activations and a
state quantizer are bit-exact with QKeras, in both io types."""
import os
import sys

import numpy as np
import pytest
from conftest import needs_gxx

import hlsgen

_TF_BOUND_WITHOUT_FLAG = "tensorflow" in sys.modules and not os.environ.get("TF_USE_LEGACY_KERAS")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def _qkeras():
    try:
        import qkeras
        import tf_keras
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"qkeras cannot be imported: {e}")
    if not issubclass(qkeras.QDense, tf_keras.layers.Dense):
        pytest.skip("qkeras is bound to Keras 3 (TensorFlow was imported before TF_USE_LEGACY_KERAS=1)")
    return qkeras, tf_keras


@pytest.fixture
def qkeras_nest(monkeypatch):
    """QKeras 0.9's QSimpleRNN/QGRU cells call ``nest.is_sequence`` and ``array_ops.unstack``,
    which TensorFlow 2.21 no longer has; the same functions are ``nest.is_nested`` and
    ``tf.unstack`` (restored for the test only)."""
    import tensorflow as tf
    from tensorflow.python.ops import array_ops
    from tensorflow.python.util import nest

    if not hasattr(nest, "is_sequence"):
        monkeypatch.setattr(nest, "is_sequence", nest.is_nested, raising=False)
    if not hasattr(array_ops, "unstack"):
        monkeypatch.setattr(array_ops, "unstack", tf.unstack, raising=False)


def _model(qk, tfk, kind, **extra):
    q = qk.quantized_bits
    kw = dict(kernel_quantizer=q(6, 0, alpha=1), recurrent_quantizer=q(6, 0, alpha=1),
              bias_quantizer=q(6, 0, alpha=1), state_quantizer=q(8, 0, alpha=1), **extra)
    layer = getattr(qk, kind)(8, name="rnn", **kw)
    return tfk.Sequential([
        tfk.Input((10, 3)), layer, qk.QActivation("quantized_bits(8, 0, alpha=1)", name="qa"),
        qk.QDense(3, kernel_quantizer=q(8, 0, alpha=1), bias_quantizer=q(8, 0, alpha=1), name="logits")])


CASES = [
    ("QLSTM", {}),  # QKeras defaults: quantized_tanh(8), QKeras' hard_sigmoid
    ("QLSTM", {"recurrent_activation": "quantized_sigmoid(8)"}),
    ("QGRU", {"activation": "quantized_tanh(8)"}),  # reset_after=False (the tf_keras default)
    ("QGRU", {"activation": "quantized_tanh(6)", "reset_after": True}),
    ("QSimpleRNN", {"activation": "quantized_tanh(8)"}),
]


@needs_gxx
@pytest.mark.skipif(_TF_BOUND_WITHOUT_FLAG, reason="TensorFlow was imported without TF_USE_LEGACY_KERAS=1")
@pytest.mark.parametrize("kind,extra", CASES, ids=[f"{k}-{'-'.join(map(str, e.values())) or 'default'}" for k, e in CASES])
def test_qkeras_recurrent_logits_bit_exact(kind, extra, qkeras_nest, tmp_path):
    qk, tfk = _qkeras()
    tfk.utils.set_random_seed(31)
    model = _model(qk, tfk, kind, **extra)
    X = np.round(np.random.default_rng(32).uniform(-2, 2, (300, 10, 3)) * 16) / 16
    want = model.predict(X, verbose=0)
    for io in ("io_parallel", "io_stream") if kind == "QLSTM" and not extra else ("io_parallel",):
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io, io_type=io)
        got = hm.predict(X)
        np.testing.assert_array_equal(got, hm.predict_golden(X))
        np.testing.assert_array_equal(got, want)
        assert np.abs(want).max() > 0.1  # not a trivial all-zero output


@pytest.mark.skipif(_TF_BOUND_WITHOUT_FLAG, reason="TensorFlow was imported without TF_USE_LEGACY_KERAS=1")
def test_qgru_without_recurrent_quantizer_is_refused(qkeras_nest, tmp_path):
    qk, tfk = _qkeras()
    model = tfk.Sequential([tfk.Input((4, 4)), qk.QGRU(4, kernel_quantizer=qk.quantized_bits(6, 0, alpha=1),
                                                        name="g")])
    with pytest.raises(ValueError, match=r"QGRU layer 'g': without a recurrent_quantizer"):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
