"""The Keras side of resource-aware pruning: :mod:`.masking` (which weights to keep,
freeze or share), :mod:`.regularizers` (group-sparsity penalties), :mod:`.builder`
(``remove_custom_regularizers``), :mod:`.utils` (sparsity, derivatives) and
:mod:`.reduction` (removing pruned neurons and filters).  hls4ml's training loop
(``optimize_model``) and tuner-driven model builder are not implemented."""
