"""What the Keras masking handles: layer families (Dense and Conv2D, QKeras' subclasses
included; matched by class, so no Keras import is needed) and the ranking metrics.

``l1`` / ``l2``  a group's importance is the l1 / l2 norm of its weights.
``oracle``      ``sum |w * dL/dw|`` (needs ``gradients``).
``saliency``    ``sum |w^2 * d2L/dw2|`` (needs ``hessians``).
"""
SUPPORTED_LAYER_FAMILIES = ("Dense", "Conv2D")
SUPPORTED_METRICS = ("l1", "l2", "oracle", "saliency")
