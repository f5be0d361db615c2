"""hls4ml's ``hls4ml.optimization`` path: resource-aware pruning (``dsp_aware_pruning``).

Implemented: the knapsack solvers (``knapsack``) and sparsity schedules (``scheduler``);
the weight structures (``config.SUPPORTED_STRUCTURES``) and a kernel's groups (``groups``);
per-layer attributes from a Keras model and an hls4ml config dict (``attributes``); the
objective interface and the parameter-count objective (``objectives.ObjectiveEstimator``,
``ParameterEstimator``); and the masks and weight-sharing offsets of a Keras model's Dense
and Conv2D layers, local or global (``keras.masking.get_model_masks``); the group-sparsity
regularizers (``keras.regularizers.DenseRegularizer``, ``Conv2DRegularizer``) and
``keras.builder.remove_custom_regularizers``; the sparsity and derivative utilities
(``keras.utils``); and removing pruned neurons/filters from a Sequential model
(``keras.reduction.reduce_model``, self-contained instead of hls4ml's Keras Surgeon).

Not implemented (importing them fails with an ImportError): hls4ml's DSP/BRAM/FLOP
objectives (``objectives.vivado_objectives``, ``gpu_objectives``), the Keras training loop
(``keras.optimize_model``, ``optimize_keras_model_for_hls4ml``) and the tuner-driven model
builder (``keras.builder.build_optimizable_model``).
"""
