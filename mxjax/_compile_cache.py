"""XLA's persistent compilation cache, on by default: a script run a second time loads
its compiled programs from disk instead of compiling them again.

The cache lives in ``$MXJAX_CACHE_DIR`` (default ``$XDG_CACHE_HOME/mxjax/xla``, that is
``~/.cache/mxjax/xla``). ``MXJAX_COMPILATION_CACHE=0`` turns it off; a cache directory
configured for JAX itself (``JAX_COMPILATION_CACHE_DIR``) is left as it is.
"""

import os

import jax

__all__ = ["enable", "directory"]


def directory():
    """Where compiled programs are kept (``None`` when the cache is off)."""
    if os.environ.get("MXJAX_COMPILATION_CACHE", "1") in ("0", "false", "False"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("MXJAX_CACHE_DIR") or os.path.join(base, "mxjax", "xla")


def enable():
    """Point JAX's persistent cache at :func:`directory`, for every program however fast
    it compiled (a short script's many small programs are where the time goes)."""
    path = directory()
    if path is None or jax.config.jax_compilation_cache_dir:
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:  # a read-only home: run without the cache
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
