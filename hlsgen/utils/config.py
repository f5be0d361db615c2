"""The configuration helpers under hls4ml's ``hls4ml.utils.config`` path."""
from ..convert import config_from_keras_model, config_from_onnx_model, config_from_pytorch_model
from .conversion_config import create_config

__all__ = ["config_from_keras_model", "config_from_onnx_model", "config_from_pytorch_model", "create_config"]
