"""Statistics of random generators, environment and platform probes, files and datasets
(local only, no downloads for the datasets) and test matrices of ``mx.test_utils``."""

import bz2
import gzip
import logging
import os
import platform
import shutil
import struct
import sys
import urllib.request
import zipfile
from contextlib import contextmanager

import numpy as np

from .. import io as _io
from .. import ndarray as nd
from ..context import current_context, num_gpus
from ..io import DataIter
from ..runtime import Features
from .compare import as_numpy

try:
    import scipy.stats as ss
except ImportError:  # chi_square_check needs it and says so
    ss = None

__all__ = ["gen_buckets_probs_with_ppf", "mean_check", "var_check", "chi_square_check",
           "verify_generator", "environment", "discard_stderr", "is_cd_run", "is_aarch64_run",
           "has_tvm_ops", "is_op_runnable", "list_gpus", "DummyIter", "get_im2rec_path",
           "download", "download_model", "get_mnist", "get_mnist_pkl", "get_mnist_ubyte",
           "get_cifar10", "get_mnist_iterator", "get_zip_data", "get_bz2_data",
           "new_matrix_with_real_eigvals_2d", "new_matrix_with_real_eigvals_nd",
           "new_orthonormal_matrix_2d", "new_sym_matrix_with_real_eigvals_2d",
           "new_sym_matrix_with_real_eigvals_nd"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # mxjax/


# ---- random-generator statistics ----------------------------------------------------------

def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """``nbuckets`` equal-probability buckets ``(ppf(i/n), ppf((i+1)/n))`` and their
    probabilities, for ``chi_square_check``."""
    assert nbuckets > 0
    probs = [1.0 / nbuckets] * nbuckets
    buckets = [(ppf(i / float(nbuckets)), ppf((i + 1) / float(nbuckets)))
               for i in range(nbuckets)]
    return buckets, probs


def mean_check(generator, mu, sigma, nsamples=1000000):
    """Whether the mean of ``generator(nsamples)`` lies within 3 standard errors of ``mu``."""
    mean = np.array(generator(nsamples)).mean()
    bound = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - bound < mean < mu + bound)


def var_check(generator, sigma, nsamples=1000000):
    """Whether the sample variance of ``generator(nsamples)`` lies within 3 standard
    errors of ``sigma ** 2``."""
    var = np.array(generator(nsamples)).var(ddof=1)
    bound = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - bound < var < sigma ** 2 + bound)


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Chi-square test of ``generator(nsamples)`` against bucket probabilities.

    ``buckets`` is a list of ``(low, high)`` ranges (continuous distributions, ascending,
    disjoint) or of the possible values (discrete ones). Returns ``(p, observed
    frequencies, expected frequencies)``.
    """
    if ss is None:
        raise ImportError("scipy is not available. Please check if the scipy python "
                          "bindings are installed.")
    assert isinstance(buckets, list)
    samples = generator(nsamples)
    assert len(probs) == len(buckets)
    continuous = isinstance(buckets[0], (list, tuple))
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    if continuous:
        edges = np.zeros(2 * len(buckets), dtype=np.float32)
        for i, (lo, hi) in enumerate(buckets):
            assert lo <= hi
            if i < len(buckets) - 1:
                assert hi <= buckets[i + 1][0]
            edges[2 * i], edges[2 * i + 1] = lo, hi
        ids = np.searchsorted(edges, as_numpy(samples), side="right") // 2
        observed = np.array([(ids == i).sum() for i in range(len(buckets))], dtype=np.int64)
    else:
        values = np.array(as_numpy(samples))
        observed = np.array([(values == b).sum() for b in buckets], dtype=np.int64)
    _, p = ss.chisquare(f_obs=observed, f_exp=expected)
    return p, observed, expected


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5,
                     success_rate=0.2, alpha=0.05):
    """Repeat ``chi_square_check`` ``nrepeat`` times; raise AssertionError unless at least
    ``success_rate`` of the p-values exceed ``alpha``. Returns the p-values."""
    results = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    pvalues = [r[0] for r in results]
    if (np.array(pvalues) > alpha).sum() < nrepeat * success_rate:
        raise AssertionError(
            f"Generator test fails, Chi-square p={pvalues}, obs_freq={[r[1] for r in results]}, "
            f"expected_freq={[r[2] for r in results]}.\nbuckets={buckets}, probs={probs}")
    return pvalues


# ---- environment, platform, devices -------------------------------------------------------

@contextmanager
def environment(*args):
    """Set environment variables for the ``with`` body and restore them afterwards.

    ``environment(name, value)`` or ``environment({name: value, ...})``; a value of None
    unsets the variable.
    """
    if len(args) == 1 and isinstance(args[0], dict):
        env_vars = args[0]
    else:
        assert len(args) == 2, "Expecting one dict arg or two args: env var name and value"
        env_vars = {args[0]: args[1]}

    def apply(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    snapshot = {name: os.environ.get(name) for name in env_vars}
    apply(env_vars)
    try:
        yield
    finally:
        nd.waitall()
        apply(snapshot)


@contextmanager
def discard_stderr():
    """Send everything written to file descriptor 2 to /dev/null inside the ``with``."""
    try:
        fileno = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real descriptor (a captured stream)
        yield
        return
    saved = os.dup(fileno)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), fileno)
        try:
            yield
        finally:
            os.dup2(saved, fileno)
            os.close(saved)


def is_cd_run():
    """Whether this runs in MXNet's continuous-delivery jobs (``CD_JOB=1``)."""
    return os.environ.get("CD_JOB", 0) == "1"


def is_aarch64_run():
    """Whether the machine is aarch64."""
    return platform.machine() == "aarch64"


def has_tvm_ops():
    """Whether operators generated by TVM are available (``Features``: never in mxjax)."""
    return Features().is_enabled("TVM_OP")


def is_op_runnable():
    """Whether the current context can run every operator: always in mxjax (MXNet said no
    only for TVM-built operators on old GPUs, which mxjax does not have)."""
    return not (current_context().device_type == "gpu" and has_tvm_ops())


def list_gpus():
    """``range(number of GPUs)``."""
    return range(num_gpus())


class DummyIter(DataIter):
    """An iterator that returns the first batch of ``real_iter`` forever (speed tests)."""

    def __init__(self, real_iter):
        super().__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def next(self):
        """The first batch of the real iterator, every time."""
        return self.the_batch


def get_im2rec_path(home_env="MXNET_HOME"):
    """The path of ``tools/im2rec.py`` under ``$home_env`` or the package; IOError if
    there is none (mxjax ships no tools)."""
    root = os.environ.get(home_env, _PACKAGE_DIR)
    for path in (os.path.join(root, "tools", "im2rec.py"),
                 os.path.join(root, "..", "..", "tools", "im2rec.py")):
        if os.path.isfile(path):
            return path
    raise OSError("Could not find path to tools/im2rec.py")


# ---- files and datasets -------------------------------------------------------------------

_DOWNLOAD_TIMEOUT_S = 30


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Fetch ``url`` to ``fname`` (default: its last path component, in ``dirname``) and
    return the file name; an existing file is kept unless ``overwrite``.

    ``url`` may be ``http(s)://``, ``file://`` or a local path. Each try times out after
    30 s; after ``retries`` failed tries the error says what could not be fetched.
    """
    assert retries >= 0, "Number of retries should be at least 0"
    fname = url.split("/")[-1] if fname is None else fname
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        logging.info("%s exists, skipping download", fname)
        return fname
    source = url if "://" in url else "file://" + os.path.abspath(url)
    tries = max(retries, 1)
    for attempt in range(1, tries + 1):
        try:
            with urllib.request.urlopen(source, timeout=_DOWNLOAD_TIMEOUT_S) as response, \
                    open(fname + ".part", "wb") as f:
                shutil.copyfileobj(response, f)
            os.replace(fname + ".part", fname)
            break
        except (OSError, ValueError) as err:  # URLError and socket errors are OSErrors
            if os.path.exists(fname + ".part"):
                os.remove(fname + ".part")
            if attempt == tries:
                raise OSError(f"download: could not fetch {url} into {fname} ({tries} "
                              f"attempt{'s' if tries > 1 else ''}): {err}. Without network "
                              "access, place the file there yourself.") from err
            print(f"download failed, retrying, {tries - attempt} attempt"
                  f"{'s' if tries - attempt > 1 else ''} left")
    logging.info("downloaded %s into %s successfully", url, fname)
    return fname


_MODEL_BASE = "http://data.mxnet.io/models/"
_MODELS = {  # model name -> (folder, file stem, epoch of its parameters)
    "imagenet1k-inception-bn": ("imagenet/inception-bn/", "Inception-BN", 126),
    **{f"imagenet1k-resnet-{n}": (f"imagenet/resnet/{n}-layers/", f"resnet-{n}", 0)
       for n in (18, 34, 50, 101, 152)},
    "imagenet1k-resnext-50": ("imagenet/resnext/50-layers/", "resnext-50", 0),
    "imagenet1k-resnext-101": ("imagenet/resnext/101-layers/", "resnext-101", 0),
    "imagenet1k-resnext-101-64x4d": ("imagenet/resnext/101-layers/", "resnext-101-64x4d", 0),
    "imagenet11k-resnet-152": ("imagenet-11k/resnet-152/", "resnet-152", 0),
    "imagenet11k-place365ch-resnet-152": ("imagenet-11k-place365-ch/", "resnet-152", 0),
    "imagenet11k-place365ch-resnet-50": ("imagenet-11k-place365-ch/", "resnet-50", 0),
}


def download_model(model_name, dst_dir="./", meta_info=None):
    """Fetch a model's ``-symbol.json`` and ``-0000.params`` into ``dst_dir``.

    ``meta_info`` maps model names to ``{'symbol': url, 'params': url}`` (MXNet's model
    zoo on data.mxnet.io by default). Returns ``(path prefix, 0)``, or ``(None, 0)`` for
    an unknown model.
    """
    if meta_info is None:
        meta_info = {name: {"symbol": f"{_MODEL_BASE}{d}{stem}-symbol.json",
                            "params": f"{_MODEL_BASE}{d}{stem}-{epoch:04d}.params"}
                     for name, (d, stem, epoch) in _MODELS.items()}
    if model_name not in meta_info:
        return None, 0
    os.makedirs(dst_dir, exist_ok=True)
    meta = dict(meta_info[model_name])
    assert "symbol" in meta, "missing symbol url"
    assert "params" in meta, "missing parameter file url"
    prefix = os.path.join(dst_dir, model_name)
    download(meta["symbol"], prefix + "-symbol.json")
    download(meta["params"], prefix + "-0000.params")
    return prefix, 0


def _require(paths, what, source):
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(
            f"{what}: {', '.join(os.path.abspath(p) for p in missing)} not found; mxjax "
            f"downloads nothing here. Get the files from {source} and place them there.")


_MNIST_URL = "http://data.mxnet.io/data/mnist/"
_MNIST_GZ = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def get_mnist():
    """MNIST from the four ``*-idx?-ubyte.gz`` files in the current directory (where
    MXNet downloads them): a dict of ``train_data``/``test_data`` (N, 1, 28, 28) float32
    in [0, 1] and ``train_label``/``test_label`` int8."""
    _require(_MNIST_GZ, "get_mnist", _MNIST_URL)

    def read(label_file, image_file):
        with gzip.open(label_file) as f:
            struct.unpack(">II", f.read(8))
            label = np.frombuffer(f.read(), dtype=np.int8)
        with gzip.open(image_file) as f:
            _, _, rows, cols = struct.unpack(">IIII", f.read(16))
            image = np.frombuffer(f.read(), dtype=np.uint8).reshape(len(label), 1, rows, cols)
        return label, image.astype(np.float32) / 255

    train_lbl, train_img = read(*_MNIST_GZ[:2])
    test_lbl, test_img = read(*_MNIST_GZ[2:])
    return {"train_data": train_img, "train_label": train_lbl,
            "test_data": test_img, "test_label": test_lbl}


def get_mnist_pkl():
    """Check that ``data/mnist.pkl.gz`` is present (MXNet downloads it)."""
    os.makedirs("data", exist_ok=True)
    _require(["data/mnist.pkl.gz"], "get_mnist_pkl",
             "http://deeplearning.net/data/mnist/mnist.pkl.gz")


def _extract_if_needed(targets, archive, what, source):
    if all(os.path.exists(t) for t in targets):
        return
    _require([archive], what, source)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall("data")


def get_mnist_ubyte():
    """Make sure the four MNIST ``*-ubyte`` files are in ``data/`` (extracting
    ``data/mnist.zip`` if that is there)."""
    os.makedirs("data", exist_ok=True)
    _extract_if_needed([f"data/{n[:-3]}" for n in _MNIST_GZ], "data/mnist.zip",
                       "get_mnist_ubyte", "http://data.mxnet.io/mxnet/data/mnist.zip")


def get_cifar10():
    """Make sure CIFAR-10's ``.rec``/``.lst`` files are in ``data/cifar/`` (extracting
    ``data/cifar10.zip`` if that is there)."""
    os.makedirs("data", exist_ok=True)
    _extract_if_needed([f"data/cifar/{s}.{e}" for s in ("train", "test") for e in ("rec", "lst")],
                       "data/cifar10.zip", "get_cifar10",
                       "http://data.mxnet.io/mxnet/data/cifar10.zip")


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """Training and validation ``MNISTIter``s over the files of ``get_mnist_ubyte``."""
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    common = dict(input_shape=input_shape, batch_size=batch_size, flat=flat,
                  num_parts=num_parts, part_index=part_index)
    train = _io.MNISTIter(image="data/train-images-idx3-ubyte",
                            label="data/train-labels-idx1-ubyte", shuffle=True, **common)
    val = _io.MNISTIter(image="data/t10k-images-idx3-ubyte",
                          label="data/t10k-labels-idx1-ubyte", **common)
    return train, val


def get_zip_data(data_dir, url, data_origin_name):
    """Fetch the zip file ``url`` into ``data_dir`` (unless there) and extract it there."""
    archive = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(archive):
        download(url, dirname=data_dir, overwrite=False)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(path=data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """Fetch the bz2 file ``url`` and decompress it to ``data_dir/data_name`` (unless
    that exists)."""
    target = os.path.join(data_dir, data_name)
    archive = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(target):
        download(url, fname=archive, dirname=data_dir, overwrite=False)
        with bz2.BZ2File(archive, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.remove(archive)


# ---- matrices for linear-algebra tests ----------------------------------------------------

def new_matrix_with_real_eigvals_2d(n):
    """A random ``n x n`` matrix with real eigenvalues in [-10, 10], well conditioned."""
    while True:  # a Householder reflection times a random diagonal, well conditioned
        d = np.diag(np.random.uniform(-1.0, 1.0, n))
        v = np.random.uniform(-1.0, 1.0, n).reshape(n, 1)
        v = v / np.linalg.norm(v, axis=-2, keepdims=True)
        q = (np.eye(n) - 2 * v @ v.T) @ d
        if np.linalg.cond(q, 2) < 3:
            break
    return np.linalg.inv(q) @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_matrix_with_real_eigvals_nd(shape):
    """A stack (``shape``) of ``new_matrix_with_real_eigvals_2d`` matrices."""
    n = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_matrix_with_real_eigvals_2d(shape[-1]) for _ in range(n)]
                    ).reshape(shape)


def new_orthonormal_matrix_2d(n):
    """A random ``n x n`` orthonormal matrix."""
    x = np.random.randn(n, n)
    return np.linalg.qr(x.T @ x)[0]


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric ``n x n`` matrix with eigenvalues in [-10, 10]."""
    q = new_orthonormal_matrix_2d(n)
    return q.T @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_sym_matrix_with_real_eigvals_nd(shape):
    """A stack (``shape``) of ``new_sym_matrix_with_real_eigvals_2d`` matrices."""
    n = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([new_sym_matrix_with_real_eigvals_2d(shape[-1]) for _ in range(n)]
                    ).reshape(shape)
