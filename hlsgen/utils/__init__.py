"""hls4ml's ``hls4ml.utils`` names: ``config_from_keras_model``, ``config_from_onnx_model``,
``config_from_pytorch_model`` (also under ``hlsgen.utils.config``), so code written for the
reference tool runs after changing its import."""
from .config import config_from_keras_model, config_from_onnx_model, config_from_pytorch_model

__all__ = ["config_from_keras_model", "config_from_onnx_model", "config_from_pytorch_model"]
