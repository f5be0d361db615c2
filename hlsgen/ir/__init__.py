"""The IR: graph, tensors, names."""
