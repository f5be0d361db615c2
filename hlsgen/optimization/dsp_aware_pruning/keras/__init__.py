"""The Keras side of resource-aware pruning: :mod:`.masking` (which weights to keep,
freeze or share), :mod:`.regularizers` (group-sparsity penalties) and :mod:`.builder`
(``remove_custom_regularizers``).  hls4ml's training loop (``optimize_model``), tuner-driven
model builder and model reduction are not implemented."""
