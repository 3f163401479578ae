"""Which features this installation has (mirrors ``mxnet.runtime``).

MXNet reported the options its native library was compiled with. mxjax reports what the
XLA backends and the host CPU in this process provide, under MXNet's feature names, plus
``TPU`` (an XLA backend MXNet never had).
"""

__all__ = ["Feature", "Features", "feature_list"]

import collections
import functools

import jax

# MXNet 1.9.1's feature names, in its order (include/mxnet/libinfo.h).
FEATURE_NAMES = (
    "CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT",
    "CPU_SSE", "CPU_SSE2", "CPU_SSE3", "CPU_SSE4_1", "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX",
    "CPU_AVX2", "OPENMP", "SSE", "F16C", "JEMALLOC",
    "BLAS_OPEN", "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK", "MKLDNN", "OPENCV",
    "CAFFE", "PROFILER", "DIST_KVSTORE", "CXX14", "INT64_TENSOR_SIZE", "SIGNAL_HANDLER",
    "DEBUG", "TVM_OP", "TPU",
)
_CPU_FLAGS = {"CPU_SSE": "sse", "CPU_SSE2": "sse2", "CPU_SSE3": "pni", "CPU_SSE4_1": "sse4_1",
              "CPU_SSE4_2": "sse4_2", "CPU_SSE4A": "sse4a", "CPU_AVX": "avx",
              "CPU_AVX2": "avx2", "SSE": "sse", "F16C": "f16c"}


class Feature:
    """One feature: its ``name`` and whether it is ``enabled``."""

    __slots__ = ("name", "enabled")

    def __init__(self, name, enabled):
        self.name = name
        self.enabled = bool(enabled)

    def __repr__(self):
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _backends():
    found = set()
    for platform in ("cpu", "gpu", "tpu"):
        try:
            if jax.devices(platform):
                found.add(platform)
        except RuntimeError:
            pass
    return found


@functools.lru_cache(maxsize=1)
def feature_list():
    """Every feature of :data:`FEATURE_NAMES` as a :class:`Feature`."""
    backends, flags = _backends(), _cpu_flags()
    gpu = "gpu" in backends
    enabled = {"CUDA": gpu, "CUDNN": gpu, "NCCL": gpu, "TPU": "tpu" in backends,
               "LAPACK": True, "CXX14": True}
    enabled.update({name: flag in flags for name, flag in _CPU_FLAGS.items()})
    return [Feature(name, enabled.get(name, False)) for name in FEATURE_NAMES]


class Features(collections.OrderedDict):
    """The features by name; one shared instance, as in MXNet."""

    instance = None

    def __new__(cls):
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            super().__init__(cls.instance, [(f.name, f) for f in feature_list()])
        return cls.instance

    def __init__(self):  # filled once, in __new__
        pass

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name):
        """Whether ``feature_name`` (case-insensitive) is enabled; RuntimeError if unknown."""
        name = feature_name.upper()
        if name not in self:
            raise RuntimeError(f"Feature '{name}' is unknown, known features are: "
                               f"{list(self.keys())}")
        return self[name].enabled
