"""Resource-aware pruning helpers at hls4ml's paths: :mod:`.knapsack` (which structures to
keep under resource budgets) and :mod:`.scheduler` (the sparsity targets of successive
pruning steps)."""
