"""The Keras side of resource-aware pruning: :mod:`.masking` (which weights to keep,
freeze or share).  hls4ml's training loop (``optimize_model``), regularizers and model
reduction are not implemented."""
