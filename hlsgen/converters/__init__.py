"""Frontends: Keras/QKeras and ONNX models -> IR graphs."""
