"""``gluon.data`` goldens from real MXNet 1.9.1, for tests/gluon/test_data.py and
tests/gluon/test_vision.py.

    /work/refvenv/bin/python tests/reference/generate_data.py

``goldens/data.npz`` holds:

- ``transform/<id>:in`` and ``:out``: a deterministic ``vision.transforms`` block
  (``TRANSFORMS`` and ``DTYPE_TRANSFORMS``, run by ``run_transform`` with either
  library as ``mx``) on a seeded image;
- ``resizedcrop:in`` and ``:out``: ``RandomResizedCrop`` after ``random.seed`` (both
  libraries draw the box with Python's ``random``), ``run_resized_crops``;
- ``color/<id>:in`` and ``:out``: MXNet's random colour operators with
  ``min_factor == max_factor`` (so deterministic), and ``adjust_lighting``/flips;
- ``png/<id>:bytes`` with ``:flag1`` / ``:flag0``: PNG files written here with every
  row filter, decoded by MXNet's ``mx.image.imdecode`` (OpenCV);
- ``recordio:rec`` / ``recordio:idx`` / ``recordio:record<i>``: a RecordIO file MXNet
  wrote, and the records in it; ``imagerec:*``: an image RecordIO file and what MXNet's
  ``ImageRecordDataset`` returns for it;
- ``loader:json``: batches (as index lists), lengths and dtypes from ``DataLoader``,
  samplers and ``Dataset`` methods (``LOADER_CASES``, run by ``run_loader``).
"""

import json
import os
import struct
import tempfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "data.npz")

# ---- deterministic transforms ------------------------------------------------------------
IMAGES = {"rgb": (6, 9, 3), "gray": (13, 10, 1), "wide": (12, 16, 3)}
SIZES = [(4, 3), (11, 7), (18, 6), 5]

TRANSFORMS = {}
for _img in IMAGES:
    for _dtype in ("uint8", "float32"):
        for _size in SIZES:
            for _interp in range(5):
                _sz = _size if isinstance(_size, int) else list(_size)
                TRANSFORMS[f"resize-{_img}-{_dtype}-{_size}-{_interp}".replace(" ", "")] = (
                    _img, _dtype, "Resize", dict(size=_sz, keep_ratio=isinstance(_size, int),
                                                 interpolation=_interp))
TRANSFORMS.update({
    "resize-square-int": ("rgb", "uint8", "Resize", dict(size=7)),
    "resize-half-linear": ("wide", "uint8", "Resize", dict(size=[8, 6])),
    "resize-half-linear-f32": ("wide", "float32", "Resize", dict(size=[8, 6])),
    "resize-quarter-area": ("wide", "uint8", "Resize", dict(size=[4, 3], interpolation=3)),
    "resize-batch": ("batch", "uint8", "Resize", dict(size=[5, 7])),
    "resize-batch-keep": ("batch", "float32", "Resize", dict(size=4, keep_ratio=True)),
    "centercrop-small": ("wide", "uint8", "CenterCrop", dict(size=6)),
    "centercrop-wh": ("wide", "uint8", "CenterCrop", dict(size=[8, 4])),
    "centercrop-up": ("rgb", "uint8", "CenterCrop", dict(size=10)),
    "centercrop-up-cubic": ("rgb", "float32", "CenterCrop", dict(size=[12, 8],
                                                                 interpolation=2)),
    "cropresize-crop": ("wide", "uint8", "CropResize", dict(x=1, y=2, width=5, height=4)),
    "cropresize-resize": ("wide", "uint8", "CropResize", dict(x=1, y=2, width=5, height=4,
                                                              size=[7, 6], interpolation=1)),
    "cropresize-batch": ("batch", "float32", "CropResize", dict(x=0, y=1, width=3, height=2,
                                                                size=4, interpolation=2)),
    "totensor": ("rgb", "uint8", "ToTensor", {}),
    "totensor-float": ("gray", "float32", "ToTensor", {}),
    "totensor-batch": ("batch", "uint8", "ToTensor", {}),
    "normalize-scalar": ("chw", "float32", "Normalize", dict(mean=0.5, std=0.25)),
    "normalize-tuple": ("chw", "float32", "Normalize", dict(mean=[0.485, 0.456, 0.406],
                                                            std=[0.229, 0.224, 0.225])),
    "normalize-batch": ("nchw", "float32", "Normalize", dict(mean=[0.1, 0.2, 0.3],
                                                             std=[2.0, 3.0, 4.0])),
    "normalize-float64": ("chw", "float64", "Normalize", dict(mean=[0.1, 0.2, 0.3],
                                                              std=[0.7, 0.3, 0.9])),
    "cast": ("rgb", "uint8", "Cast", dict(dtype="float64")),
})
# More dtypes, for the host (numpy) versions of the transforms; seeds from 1000 on.
DTYPE_TRANSFORMS = {
    "cast-float16": ("rgb", "float32", "Cast", dict(dtype="float16")),
    "cast-int32": ("wide", "float32", "Cast", dict(dtype="int32")),
    "totensor-float64": ("rgb", "float64", "ToTensor", {}),
    "totensor-nhwc-gray": ("batch-gray", "uint8", "ToTensor", {}),
}


def make_image(kind, dtype, seed):
    """Seeded input for a transform case (uint8 values; float images are them / 3)."""
    rng = np.random.default_rng(seed)
    shape = {"batch": (2, 6, 9, 3), "batch-gray": (3, 5, 4, 1), "chw": (3, 4, 5),
             "nchw": (2, 3, 4, 5)}.get(
        kind, IMAGES.get(kind))
    if kind in ("chw", "nchw"):
        return rng.uniform(0, 1, size=shape).astype(dtype)
    img = rng.integers(0, 256, size=shape).astype(np.uint8)
    return img if dtype == "uint8" else (img / 3).astype(dtype)


def run_transform(mx, name, kwargs, x):
    """Apply ``mx.gluon.data.vision.transforms.<name>(**kwargs)`` to numpy ``x``."""
    block = getattr(mx.gluon.data.vision.transforms, name)(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()})
    return block(mx.nd.array(x, dtype=x.dtype)).asnumpy()


# ---- RandomResizedCrop: Python's ``random`` draws the box, in both libraries ----------
RESIZED_CROP = dict(size=(7, 5), scale=(0.2, 1.0))
RESIZED_CROP_SEEDS = range(6)


def run_resized_crops(mx, x, wrap=None):
    """``RandomResizedCrop(**RESIZED_CROP)`` of ``x`` after ``random.seed(s)`` for each
    seed, stacked; ``wrap`` makes the input NDArray (default ``mx.nd.array``)."""
    import random
    outs = []
    for seed in RESIZED_CROP_SEEDS:
        random.seed(seed)
        block = mx.gluon.data.vision.transforms.RandomResizedCrop(**RESIZED_CROP)
        image = wrap(x) if wrap else mx.nd.array(x, dtype=x.dtype)
        outs.append(block(image).asnumpy())
    return np.stack(outs)


# ---- colour operators with a fixed factor ------------------------------------------------
COLOR = {f"{op}-{dtype}-{a}": (op, dtype, a)
         for op, factors in (("brightness", (0.4, 1.7)), ("contrast", (0.3, 1.6)),
                             ("hue", (0.1, 0.65, 1.3)))
         for dtype in ("uint8", "float32") for a in factors}
COLOR.update({f"lighting-{dtype}": ("lighting", dtype, (0.2, -0.5, 1.0))
              for dtype in ("uint8", "float32")})
COLOR.update({f"flip-{axis}": (f"flip_{axis}", "uint8", None)
              for axis in ("left_right", "top_bottom")})
COLOR["contrast-gray"] = ("contrast", "uint8", 0.5)


def run_color(mx, op, x, factor):
    """MXNet's operator for a colour case (``mx`` is real MXNet)."""
    x = mx.nd.array(x, dtype=x.dtype)
    if op == "lighting":
        return mx.nd.image.adjust_lighting(x, alpha=factor).asnumpy()
    if op.startswith("flip"):
        return getattr(mx.nd.image, op)(x).asnumpy()
    return getattr(mx.nd.image, f"random_{op}")(x, min_factor=factor,
                                                 max_factor=factor).asnumpy()


# ---- PNG files ---------------------------------------------------------------------------
def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def write_png(rows, width, depth, ctype, bpp, palette=None):
    """A PNG of the given raw scanlines, row ``y`` filtered with filter ``y % 5``."""
    out, prev = [], np.zeros(rows.shape[1], np.int64)
    for y, row in enumerate(rows.astype(np.int64)):
        left = np.concatenate([np.zeros(bpp, np.int64), row[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        pred = [0 * row, left, prev, (left + prev) // 2, _paeth(left, prev, upleft)][y % 5]
        out.append(bytes([y % 5]) + ((row - pred) % 256).astype(np.uint8).tobytes())
        prev = row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    height = rows.shape[0]
    data = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 0))
    if palette is not None:
        data += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    return (b"\x89PNG\r\n\x1a\n" + data + chunk(b"IDAT", zlib.compress(b"".join(out)))
            + chunk(b"IEND", b""))


def png_cases():
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (7, 6, 3)).astype(np.uint8)
    gray = rng.integers(0, 256, (5, 9)).astype(np.uint8)
    rgba = rng.integers(0, 256, (6, 5, 4)).astype(np.uint8)
    rgb16 = rng.integers(0, 65536, (5, 4, 3)).astype(">u2")
    index = rng.integers(0, 16, (6, 7)).astype(np.uint8)
    packed = np.packbits(np.unpackbits(index[..., None], axis=-1)[..., 4:].reshape(6, -1),
                         axis=-1)
    palette = rng.integers(0, 256, (16, 3))
    return {
        "rgb": write_png(rgb.reshape(7, -1), 6, 8, 2, 3),
        "gray": write_png(gray, 9, 8, 0, 1),
        "rgba": write_png(rgba.reshape(6, -1), 5, 8, 6, 4),
        "rgb16": write_png(rgb16.view(np.uint8).reshape(5, -1), 4, 16, 2, 6),
        "palette4": write_png(packed, 7, 4, 3, 1, palette=palette),
    }


# ---- DataLoader and friends --------------------------------------------------------------
LOADER_CASES = {
    "keep": dict(n=10, batch_size=3, last_batch="keep"),
    "discard": dict(n=10, batch_size=3, last_batch="discard"),
    "rollover": dict(n=10, batch_size=3, last_batch="rollover"),
    "rollover-even": dict(n=9, batch_size=3, last_batch="rollover"),
    "keep-big": dict(n=4, batch_size=6, last_batch="keep"),
    "discard-big": dict(n=4, batch_size=6, last_batch="discard"),
    "rollover-big": dict(n=4, batch_size=6, last_batch="rollover"),
}


def _plain(batch):
    """A batch as JSON: nested lists of values with the dtypes."""
    if isinstance(batch, (list, tuple)):
        return {"list": [_plain(b) for b in batch], "type": type(batch).__name__}
    arr = batch.asnumpy()
    return {"values": arr.tolist(), "dtype": str(arr.dtype), "shape": list(arr.shape)}


def run_loader(mx, case):
    """Three epochs of a DataLoader over ``arange(n)``: batches and ``len`` each time."""
    loader = mx.gluon.data.DataLoader(mx.gluon.data.SimpleDataset(list(range(case["n"]))),
                                      batch_size=case["batch_size"],
                                      last_batch=case["last_batch"])
    epochs = []
    for _ in range(3):
        length = len(loader)
        epochs.append({"len": length,
                       "batches": [b.asnumpy().tolist() for b in loader]})
    return epochs


def run_misc(mx):
    """Dataset methods, samplers and default batchify dtypes."""
    data = mx.gluon.data
    ds = data.SimpleDataset(list(range(10)))
    out = {
        "shard": [list(ds.shard(3, i)) for i in range(3)],
        "shard-small": [list(data.SimpleDataset([0, 1]).shard(3, i)) for i in range(3)],
        "take": [list(ds.take(4)), list(ds.take(None)), list(ds.take(20))],
        "filter": list(ds.filter(lambda x: x % 3 == 0)),
        "sample": list(ds.sample(data.SequentialSampler(4, 3))),
        "transform": list(ds.transform(lambda x: x * 2, lazy=False)),
        "transform_first": [list(s) for s in data.ArrayDataset(
            list(range(3)), list(range(3))).transform_first(lambda x: x + 10)],
        "sequential": list(data.SequentialSampler(4, 2)),
        "batch": list(data.BatchSampler(data.SequentialSampler(7), 3, "keep")),
        "interval-len": len(data.BatchSampler(data.SequentialSampler(7), 3, "discard")),
    }
    batchify = {
        "ints": [1, 2, 3],
        "floats": [1.5, 2.5],
        "numpy-f64": [np.arange(2.0), np.arange(2.0)],
        "numpy-i32": [np.arange(3, dtype=np.int32)] * 2,
        "tuples": [(1, 2.0), (3, 4.0)],
        "ndarrays": [mx.nd.array([1, 2], dtype="int32"), mx.nd.array([3, 4], dtype="int32")],
    }
    out["batchify"] = {k: _plain(mx.gluon.data.dataloader.default_batchify_fn(v))
                       for k, v in batchify.items()}
    arr = data.ArrayDataset(mx.nd.arange(4), np.arange(4), mx.nd.ones((4, 2)))
    out["arraydataset"] = [type(x).__name__ for x in arr[1]]
    return out


# ---- main --------------------------------------------------------------------------------
def main():
    import mxnet as mx

    arrays, meta = {}, {}
    for i, (cid, (img, dtype, name, kwargs)) in enumerate(sorted(TRANSFORMS.items())):
        x = make_image(img, dtype, seed=i)
        arrays[f"transform/{cid}:in"] = x
        arrays[f"transform/{cid}:out"] = run_transform(mx, name, kwargs, x)
    for i, (cid, (img, dtype, name, kwargs)) in enumerate(sorted(DTYPE_TRANSFORMS.items())):
        x = make_image(img, dtype, seed=1000 + i)
        arrays[f"transform/{cid}:in"] = x
        arrays[f"transform/{cid}:out"] = run_transform(mx, name, kwargs, x)
    x = make_image("wide", "uint8", seed=2000)
    arrays["resizedcrop:in"] = x
    arrays["resizedcrop:out"] = run_resized_crops(mx, x)
    for i, (cid, (op, dtype, factor)) in enumerate(sorted(COLOR.items())):
        # flips: an even width, as MXNet leaves the middle column of an odd one unwritten
        kind = "gray" if cid.endswith("gray") else "wide" if op.startswith("flip") else "rgb"
        x = make_image(kind, dtype, seed=100 + i)
        arrays[f"color/{cid}:in"] = x
        arrays[f"color/{cid}:out"] = run_color(mx, op, x, factor)
    for name, png in png_cases().items():
        arrays[f"png/{name}:bytes"] = np.frombuffer(png, np.uint8)
        for flag in (0, 1):
            arrays[f"png/{name}:flag{flag}"] = mx.image.imdecode(png, flag=flag).asnumpy()

    records = [b"", b"a", b"abcd", b"abcde", struct.pack("<I", 0xCED7230A),
               b"xy" + struct.pack("<I", 0xCED7230A) + b"zw",
               b"abcd" + struct.pack("<I", 0xCED7230A) * 2 + b"tail",
               struct.pack("<I", 0xCED7230A) + b"123",
               mx.recordio.pack(mx.recordio.IRHeader(0, 3.5, 7, 0), b"payload"),
               mx.recordio.pack(mx.recordio.IRHeader(0, [1.0, 2.5, -3.0], 8, 1), b"p")]
    pngs = png_cases()
    with tempfile.TemporaryDirectory() as tmp:
        rec, idx = os.path.join(tmp, "d.rec"), os.path.join(tmp, "d.idx")
        writer = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
        for i, r in enumerate(records):
            writer.write_idx(10 + i, r)
        writer.close()
        with open(rec, "rb") as f:
            arrays["recordio:rec"] = np.frombuffer(f.read(), np.uint8)
        with open(idx, "rb") as f:
            arrays["recordio:idx"] = np.frombuffer(f.read(), np.uint8)
        writer = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
        for i, name in enumerate(["rgb", "gray", "rgba"]):
            label = float(i) if i != 1 else [1.0, 2.0]
            writer.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0),
                                                 pngs[name]))
        writer.close()
        with open(rec, "rb") as f:
            arrays["imagerec:rec"] = np.frombuffer(f.read(), np.uint8)
        with open(idx, "rb") as f:
            arrays["imagerec:idx"] = np.frombuffer(f.read(), np.uint8)
        dataset = mx.gluon.data.vision.ImageRecordDataset(rec)
        for i in range(len(dataset)):
            img, label = dataset[i]
            arrays[f"imagerec:img{i}"] = img.asnumpy()
            arrays[f"imagerec:label{i}"] = np.asarray(label, np.float32)
    for i, r in enumerate(records):
        arrays[f"recordio:record{i}"] = np.frombuffer(r, np.uint8)
    meta["unpack"] = [[int(h.flag), np.asarray(h.label).tolist(), int(h.id), int(h.id2)]
                      for h, _ in map(mx.recordio.unpack, records[-2:])]

    meta["loader"] = {cid: run_loader(mx, case) for cid, case in LOADER_CASES.items()}
    meta["misc"] = run_misc(mx)
    arrays["meta:json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
    np.savez_compressed(NPZ, **arrays)
    print(f"wrote {len(arrays)} arrays to {NPZ}")


if __name__ == "__main__":
    main()
