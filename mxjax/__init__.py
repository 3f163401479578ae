"""mxjax: the Apache MXNet 1.x Python API on JAX."""
