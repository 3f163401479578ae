"""The data plane on the host (``mxjax.ndarray.host``): dataset rows, vision transforms
and batchify in numpy, one device transfer per batch, nothing in the captured step.

Numbers are checked against MXNet 1.9.1's goldens (tests/reference/generate_data.py), the
same ones the operator path meets, with the input given as a host NDArray.
"""

import gc
import os
import pickle

import jax
import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, engine
from mxjax.gluon import data
from mxjax.gluon.data.vision import transforms as T
from mxjax.ndarray import host
from tests.gluon.test_vision import IMG, G
from tests.reference.generate_data import (
    COLOR,
    DTYPE_TRANSFORMS,
    TRANSFORMS,
    run_resized_crops,
)

HOST_NAMES = ("ToTensor", "Normalize", "Cast", "Resize", "CenterCrop", "CropResize")
CASES = {cid: case for cid, case in {**TRANSFORMS, **DTYPE_TRANSFORMS}.items()
         if case[2] in HOST_NAMES}


def _block(name, kwargs):
    return getattr(T, name)(**{k: tuple(v) if isinstance(v, list) else v
                               for k, v in kwargs.items()})


def _on_host(x):
    return host.value(x) is not None


# ---- transforms on host images -----------------------------------------------------------
@pytest.mark.parametrize("cid", sorted(CASES))
def test_host_transform_matches_mxnet(cid):
    _, _, name, kwargs = CASES[cid]
    x = host.wrap(np.array(G[f"transform/{cid}:in"]))
    out = _block(name, kwargs)(x)
    assert type(out) is mx.nd.NDArray and _on_host(out)
    want = G[f"transform/{cid}:out"]
    got = out.asnumpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # numpy in MXNet's order: bit for bit


@pytest.mark.parametrize("on_host", [True, False], ids=["host", "operator"])
def test_random_resized_crop_matches_mxnet(on_host):
    x = G["resizedcrop:in"]
    wrap = (lambda v: host.wrap(np.array(v))) if on_host else None
    np.testing.assert_array_equal(run_resized_crops(mx, x, wrap), G["resizedcrop:out"])


@pytest.mark.parametrize("cid", sorted(COLOR))
def test_host_color_kernels_match_mxnet_exactly(cid):
    from mxjax.gluon.data.vision import _host_ops
    op, _, factor = COLOR[cid]
    x = G[f"color/{cid}:in"]
    if op.startswith("flip"):
        got = _host_ops.flip(x, 1 if op.endswith("left_right") else 0)
    else:
        got = getattr(_host_ops, f"adjust_{op}")(x, factor)
    want = G[f"color/{cid}:out"]
    # float32 steps in MXNet's order (its sequential sum for contrast): bit for bit
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_host_saturation_matches_operator():
    from mxjax.gluon.data.vision import _host_ops
    from mxjax.operator import image as image_ops
    x = np.random.default_rng(0).uniform(0, 255, (4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(_host_ops.adjust_saturation(x, 0.3),
                               np.asarray(image_ops.adjust_saturation(x, np.float32(0.3))),
                               rtol=1e-6)


@pytest.mark.parametrize("block", [T.RandomFlipLeftRight(), T.RandomFlipTopBottom(),
                                   T.RandomBrightness(0.4), T.RandomContrast(0.4),
                                   T.RandomSaturation(0.4), T.RandomLighting(0.5),
                                   T.RandomHue(0.2), T.RandomColorJitter(0.3, 0.3, 0.3, 0.1)],
                         ids=lambda b: type(b).__name__)
def test_host_random_transforms_reproducible(block):
    x = host.wrap(IMG.asnumpy())

    def runs(seed):
        mx.random.seed(seed)
        outs = [block(x) for _ in range(8)]
        assert all(_on_host(o) for o in outs)
        return [o.asnumpy() for o in outs]

    a, b = runs(5), runs(5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
        assert u.shape == IMG.shape and u.dtype == np.uint8
    assert any(not np.array_equal(u, a[0]) for u in a[1:]), "no randomness"


def test_host_flip_is_a_flip_half_the_time():
    x = IMG.asnumpy()
    mx.random.seed(0)
    outs = [T.RandomFlipLeftRight()(host.wrap(x)).asnumpy() for _ in range(200)]
    flipped = [np.array_equal(o, x[:, ::-1]) for o in outs]
    assert all(f or np.array_equal(o, x) for f, o in zip(flipped, outs))
    assert 70 <= sum(flipped) <= 130


def test_host_transform_errors_match_operator_path():
    with pytest.raises(mx.MXNetError, match="ToTensor"):
        T.ToTensor()(host.wrap(np.zeros((4, 4), np.uint8)))
    with pytest.raises(mx.MXNetError, match="1 or 3 channels"):
        T.Normalize(0.5, 0.1)(host.wrap(np.zeros((4, 5, 5), np.float32)))
    with pytest.raises(mx.MXNetError, match="mean must have 1 or 3"):
        T.Normalize((0.1, 0.2), 1.0)(host.wrap(np.zeros((3, 5, 5), np.float32)))
    with pytest.raises(mx.MXNetError, match="does not fit"):
        T.CropResize(2, 2, 3, 3)(host.wrap(np.zeros((4, 4, 3), np.uint8)))


def test_recorded_or_hybridized_transforms_run_as_operators():
    x = host.wrap(IMG.asnumpy())
    with autograd.record():
        out = T.ToTensor()(x)
    assert not _on_host(out)
    seq = mx.gluon.nn.HybridSequential()
    seq.add(T.ToTensor(), T.Normalize(0.5, 0.25))
    seq.hybridize()
    hybrid = seq(host.wrap(IMG.asnumpy()))
    assert not _on_host(hybrid) and seq._cache_info()["compiles"] == 1
    np.testing.assert_allclose(hybrid.asnumpy(), (IMG.asnumpy().transpose(2, 0, 1) / 255
                                                  - 0.5) / 0.25, rtol=1e-6, atol=1e-6)


def test_compose_on_host_image_matches_compiled_group():
    c = T.Compose([T.ToTensor(), T.Normalize((0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
                   T.Cast("float64")])
    on_host = c(host.wrap(IMG.asnumpy()))
    assert _on_host(on_host) and on_host.dtype == np.float64
    # MXNet's steps, each rounded to float32 (XLA's fused group may differ by an ulp)
    f32 = np.float32
    mean = np.array([0.1, 0.2, 0.3], f32).reshape(3, 1, 1)
    std = np.array([0.5, 0.6, 0.7], f32).reshape(3, 1, 1)
    steps = ((IMG.asnumpy().astype(f32) / f32(255)).transpose(2, 0, 1) - mean) / std
    np.testing.assert_array_equal(on_host.asnumpy(), steps.astype(np.float64))
    np.testing.assert_allclose(on_host.asnumpy(), c(IMG).asnumpy(), rtol=1e-6, atol=1e-6)


# ---- host NDArrays -------------------------------------------------------------------------
def test_host_ndarray_moves_to_device_once_when_used():
    x = host.wrap(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.shape == (2, 3) and x.dtype == np.float32 and _on_host(x)
    y = x * 2
    assert not _on_host(x) and isinstance(x._data, jax.Array)
    np.testing.assert_array_equal(y.asnumpy(), np.arange(6).reshape(2, 3) * 2)
    z = host.wrap(np.ones(3, np.float32))
    z[1] = 5
    np.testing.assert_array_equal(z.asnumpy(), [1, 5, 1])


def test_unpickled_ndarray_stays_on_host():
    back = pickle.loads(pickle.dumps(mx.nd.array([[1, 2], [3, 4]], dtype="int32")))
    assert _on_host(back) and back.dtype == np.int32
    np.testing.assert_array_equal((back + 1).asnumpy(), [[2, 3], [4, 5]])


# ---- datasets, batchify, DataLoader --------------------------------------------------------
X = np.random.default_rng(1).integers(0, 256, (10, 4, 5, 1)).astype(np.uint8)
Y = np.arange(10, dtype=np.int32)


def _dataset(transform=None):
    ds = data.ArrayDataset(mx.nd.array(X, dtype="uint8"), Y)
    return ds if transform is None else ds.transform_first(transform)


def test_dataset_rows_are_host_ndarrays_that_follow_writes():
    source = mx.nd.array(X, dtype="uint8")
    ds = data.ArrayDataset(source, Y)
    img, label = ds[3]
    assert type(img) is mx.nd.NDArray and _on_host(img) and img.dtype == np.uint8
    assert label.dtype == np.int32
    np.testing.assert_array_equal(img.asnumpy(), X[3])
    source[:] = 7
    np.testing.assert_array_equal(ds[3][0].asnumpy(), np.full(X[3].shape, 7))


@pytest.mark.parametrize("transform", [None, T.ToTensor(),
                                       T.Compose([T.ToTensor(), T.Normalize(0.5, 0.2)]),
                                       T.Compose([T.RandomFlipTopBottom(), T.ToTensor()]),
                                       lambda x: x.astype("float32") * 2],
                         ids=["none", "totensor", "compose", "random", "lambda"])
def test_batches_match_per_sample_batchify(transform):
    """The whole-batch path and the per-sample path give the same batches, with MXNet's
    types (float32 data after ToTensor, labels keep int32)."""
    mx.random.seed(3)
    fast = list(data.DataLoader(_dataset(transform), 4))
    mx.random.seed(3)
    slow = list(data.DataLoader(_dataset(transform), 4,
                                batchify_fn=lambda s: data.dataloader.default_batchify_fn(s)))
    assert len(fast) == len(slow) == 3
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert not _on_host(fx) and not _on_host(fy)
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype == np.int32
        np.testing.assert_array_equal(fx.asnumpy(), sx.asnumpy())
        np.testing.assert_array_equal(fy.asnumpy(), sy.asnumpy())
    if transform is not None and not callable(getattr(transform, "forward", None)):
        assert fast[0][0].dtype == np.float32


def test_one_device_transfer_per_batch_array(monkeypatch):
    loader = data.DataLoader(_dataset(T.Compose([T.RandomFlipLeftRight(), T.ToTensor()])), 5)
    calls = []
    real = jax.device_put
    monkeypatch.setattr(jax, "device_put", lambda *a, **k: calls.append(1) or real(*a, **k))
    batches = [(x.wait_to_read(), y) for x, y in loader]
    assert len(batches) == 2 and len(calls) == 4


def _nodes_per_step(loader):
    """Operators run per iteration (making the batch, then one training step)."""
    net = mx.gluon.nn.Dense(2)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    nodes = []
    for x, y in loader:
        before = engine.compile_stats()["nodes"]
        with autograd.record():
            loss = (net(x) - y.astype("float32").reshape(-1, 1)).square().mean()
        loss.backward()
        trainer.step(2)
        assert engine.is_capturing()  # the step is still pending when the next batch is made
        nodes.append(engine.compile_stats()["nodes"] - before)
    engine.flush()
    return nodes


def test_data_preparation_stays_out_of_the_captured_step():
    # a transform of NDArray operators would join the pending step if it were captured
    by_operators = data.DataLoader(
        _dataset(lambda x: x.astype("float32").reshape(-1) / 255), 2)
    prepared = data.DataLoader(
        data.ArrayDataset((X.reshape(10, -1) / np.float32(255)).astype(np.float32), Y), 2)
    nodes = _nodes_per_step(by_operators)
    assert nodes == _nodes_per_step(prepared), nodes


def test_workers_give_the_same_batches_and_clean_up():
    ds = _dataset(T.Compose([T.ToTensor(), T.Normalize(0.5, 0.2)]))
    want = [(x.asnumpy(), y.asnumpy()) for x, y in data.DataLoader(ds, 4)]
    big = data.ArrayDataset(mx.nd.array(np.zeros((8, 64, 64, 3)), dtype="uint8"), Y[:8])
    loader = data.DataLoader(ds, 4, num_workers=2)
    got = [(x, y) for x, y in loader]
    big_batches = list(data.DataLoader(big.transform_first(T.ToTensor()), 4, num_workers=2))
    assert [b[0].shape for b in big_batches] == [(4, 3, 64, 64)] * 2
    for (x, y), (wx, wy) in zip(got, want):
        assert not _on_host(x) and x.dtype == np.float32 and y.dtype == np.int32
        np.testing.assert_array_equal(x.asnumpy(), wx)
        np.testing.assert_array_equal(y.asnumpy(), wy)
    directory = loader._shm_dir
    assert directory is None or os.path.isdir(directory)
    del loader
    gc.collect()
    assert directory is None or not os.path.exists(directory)


def test_mnist_samples_and_batches_stay_on_host_until_the_batch(tmp_path):
    from tests.gluon.test_vision import _mnist_files
    images, labels = _mnist_files(str(tmp_path), "train", 6, compress=False, seed=2)
    ds = data.vision.MNIST(root=str(tmp_path))
    img, label = ds[4]
    assert _on_host(img) and img.shape == (28, 28, 1) and label.dtype == np.int32
    loader = data.DataLoader(ds.transform_first(T.ToTensor()), 4)
    (x, y), _ = list(loader)
    assert not _on_host(x) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(x.asnumpy(), images[:4, None] / np.float32(255))
    np.testing.assert_array_equal(y.asnumpy(), labels[:4])


def test_host_samples_of_different_shapes_raise_mxnets_stack_error():
    samples = [host.wrap(np.zeros((2, 3), np.float32)), host.wrap(np.zeros((3, 3), np.float32))]
    with pytest.raises(mx.MXNetError):
        data.dataloader.default_batchify_fn(samples)
