"""Device contexts (``mx.cpu()``, ``mx.gpu()``), mapped onto this process's
``jax.local_devices()``."""

import threading
import warnings

import jax

from .base import MXNetError, _MXClassPropertyMetaClass, classproperty

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "num_gpus", "gpu_memory_info",
           "current_context"]


_DEFAULT_CTX_DEPRECATED = ("Context.default_ctx is deprecated: read mx.context.current_context() "
                           "and switch contexts with 'with ctx:' (or "
                           "test_utils.set_default_context)")


class Context(metaclass=_MXClassPropertyMetaClass):
    """A device: ``Context('cpu', 0)`` or ``Context('gpu', 1)``; usable with ``with``.

    ``cpu(i)`` for any ``i`` names host memory; when the host platform exposes several
    devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``) ``cpu(i)`` is the
    i-th of them. ``gpu(i)`` is the i-th accelerator JAX sees; using one that does not
    exist raises ``MXNetError``.
    """

    _default_ctx = threading.local()  # per thread, as in MXNet
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {v: k for k, v in devtype2str.items()}

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devstr2type:
            raise MXNetError(f"unknown device type {device_type!r}; "
                             f"expected one of {list(self.devstr2type)}")
        self.device_typeid = self.devstr2type[device_type]
        self.device_id = int(device_id)
        self._old_ctx = None

    @property
    def device_type(self):
        return self.devtype2str[self.device_typeid]

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __str__(self):
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self):
        self._old_ctx = current_context()
        Context._default_ctx.value = self
        return self

    def __exit__(self, *exc):
        Context._default_ctx.value = self._old_ctx

    @classproperty
    def default_ctx(cls):
        """This thread's default context (deprecated in MXNet: use ``with ctx:``)."""
        warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=3)
        return current_context()

    @default_ctx.setter
    def default_ctx(cls, val):
        warnings.warn(_DEFAULT_CTX_DEPRECATED, DeprecationWarning, stacklevel=3)
        cls._default_ctx.value = val

    @property
    def jax_device(self):
        """The ``jax.Device`` this context places arrays on."""
        if self.device_type == "gpu":
            gpus = _accelerators()
            if self.device_id >= len(gpus):
                raise MXNetError(
                    f"{self}: no such GPU; this machine has {len(gpus)} GPU(s) visible to JAX "
                    f"({jax.default_backend()} backend). Use mx.cpu() or install a "
                    "GPU-enabled jaxlib.")
            return gpus[self.device_id]
        hosts = jax.local_devices(backend="cpu")
        return hosts[self.device_id] if self.device_id < len(hosts) else hosts[0]

    def empty_cache(self):
        """Accepted for compatibility; XLA manages its own memory pools."""


def _accelerators():
    try:
        return [d for d in jax.local_devices() if d.platform in ("gpu", "cuda", "rocm", "tpu")]
    except RuntimeError:
        return []


def cpu(device_id=0):
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    return Context("cpu_pinned", device_id)


def gpu(device_id=0):
    return Context("gpu", device_id)


def num_gpus():
    return len(_accelerators())


def gpu_memory_info(device_id=0):
    """``(free, total)`` bytes of GPU ``device_id``."""
    stats = gpu(device_id).jax_device.memory_stats() or {}
    total = stats.get("bytes_limit", 0)
    return total - stats.get("bytes_in_use", 0), total


def current_context():
    """The context of the innermost ``with ctx:`` block, ``cpu(0)`` by default."""
    ctx = getattr(Context._default_ctx, "value", None)
    return ctx if ctx is not None else Context("cpu", 0)


def context_of_device(device):
    if device.platform == "cpu":
        hosts = jax.local_devices(backend="cpu")
        return Context("cpu", hosts.index(device) if len(hosts) > 1 else 0)
    return Context("gpu", _accelerators().index(device))
