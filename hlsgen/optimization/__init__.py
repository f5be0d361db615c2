"""hls4ml's ``hls4ml.optimization`` path.  ``dsp_aware_pruning`` holds the solvers and the
sparsity schedules of hls4ml's resource-aware pruning (``knapsack``, ``scheduler``); the
Keras training loop that uses them (masks, regularizers, ``optimize_model``) is not
implemented, so importing those modules fails with ModuleNotFoundError."""
