"""``mx.image`` cases, run with either library as ``mx``: by generate_image.py with MXNet
1.9.1 (the goldens) and by tests/test_image.py with mxjax. Each returns a dict of numpy
arrays (images, crop boxes) and JSON strings (``dumps``)."""

import json
import random

import numpy as np

RESIZES = [(20, 30), (80, 50), (26, 18), (60, 20)]  # (w, h) of a 53x37 image
BORDERS = {"constant": dict(type=0), "replicate": dict(type=1), "reflect": dict(type=2),
           "wrap": dict(type=3), "reflect101": dict(type=4),
           "values": dict(type=0, values=(1.0, 2.0, 300.0)), "value": dict(type=0, value=7.4)}
SEEDS = (0, 1, 2, 3)
MEAN, STD = [120.0, 110.5, 100.0], [58.4, 57.1, 57.4]
EIGVAL = [55.46, 4.794, 1.148]
EIGVEC = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]


def seeded(seed):
    """Seed both random streams MXNet's image code draws from."""
    random.seed(seed)
    np.random.seed(seed)


def decode_cases(mx, png, jpg):
    out = {}
    for name, buf in (("png", png), ("jpg", jpg)):
        for flag in (0, 1):
            out[f"imdecode/{name}/flag{flag}"] = mx.image.imdecode(buf, flag=flag).asnumpy()
        out[f"imdecode/{name}/bgr"] = mx.image.imdecode(buf, to_rgb=0).asnumpy()
        out[f"imdecode/{name}/array"] = mx.image.imdecode(np.frombuffer(buf, np.uint8)).asnumpy()
    return out


def function_cases(mx, img):
    """``img``: an HxWx3 uint8 NDArray."""
    out = {}
    f32 = img.astype("float32")
    for interp in range(5):
        for w, h in RESIZES:
            out[f"imresize/{interp}/{w}x{h}"] = mx.image.imresize(img, w, h, interp).asnumpy()
        out[f"imresize/{interp}/float32"] = mx.image.imresize(f32, 20, 30, interp=interp).asnumpy()
    for name, kwargs in BORDERS.items():
        out[f"border/{name}"] = mx.image.copyMakeBorder(img, 1, 2, 3, 4, **kwargs).asnumpy()
    out["border/float32"] = mx.image.copyMakeBorder(f32, 2, 0, 5, 1, values=(0.5, 1.5, 2.5))
    out["scale_down"] = np.array([mx.image.scale_down(src, size) for src, size in [
        ((640, 480), (720, 120)), ((53, 37), (20, 20)), ((53, 37), (80, 60)),
        ((10, 50), (30, 40))]])
    for size, interp in ((20, 2), (20, 9), (60, 9), (30, 0)):
        out[f"resize_short/{size}/{interp}"] = mx.image.resize_short(img, size, interp).asnumpy()
    out["fixed_crop/plain"] = mx.image.fixed_crop(img, 3, 4, 20, 10).asnumpy()
    out["fixed_crop/resized"] = mx.image.fixed_crop(img, 3, 4, 20, 10, size=(15, 12)).asnumpy()
    out["fixed_crop/auto"] = mx.image.fixed_crop(img, 3, 4, 20, 10, (40, 30), 9).asnumpy()
    out["center_crop/small"], box = mx.image.center_crop(img, (20, 15))
    out["center_crop/small:box"] = np.array(box)
    out["center_crop/big"], box = mx.image.center_crop(img, (80, 60), interp=1)
    out["center_crop/big:box"] = np.array(box)
    for seed in SEEDS:
        seeded(seed)
        out[f"random_crop/{seed}"], box = mx.image.random_crop(img, (20, 20), 10)
        out[f"random_crop/{seed}:box"] = np.array(box)
        seeded(seed)
        out[f"random_size_crop/{seed}"], box = mx.image.random_size_crop(
            img, (24, 16), 0.08, (3.0 / 4.0, 4.0 / 3.0))
        out[f"random_size_crop/{seed}:box"] = np.array(box)
        seeded(seed)
        out[f"random_size_crop/{seed}/range"], box = mx.image.random_size_crop(
            img, (24, 16), (0.9, 1.0), (2.5, 3.0), interp=9)
        out[f"random_size_crop/{seed}/range:box"] = np.array(box)
    mean, std = mx.nd.array(MEAN), mx.nd.array(STD)
    out["color_normalize"] = mx.image.color_normalize(f32.copy(), mean, std)
    out["color_normalize/mean"] = mx.image.color_normalize(f32.copy(), mean)
    chw = mx.nd.transpose(mx.image.fixed_crop(img, 0, 0, 13, 9).astype("float32"), axes=(2, 0, 1))
    batch = mx.nd.stack(chw, chw * 0.5, axis=0)
    for kwargs in (dict(), dict(zoom_in=True), dict(zoom_out=True)):
        name = "/".join(kwargs) or "plain"
        out[f"imrotate/{name}"] = mx.image.imrotate(chw, 30, **kwargs)
        out[f"imrotate/batch/{name}"] = mx.image.imrotate(batch, mx.nd.array([-45, 100]),
                                                          **kwargs)
    seeded(4)
    out["random_rotate"] = mx.image.random_rotate(chw, (-30, 30))
    out["random_rotate/batch"] = mx.image.random_rotate(batch, (-90, 90), zoom_in=True)
    transforms = mx.gluon.data.vision.transforms
    out["transforms/rotate"] = transforms.Rotate(-60, zoom_out=True)(chw)
    for seed in SEEDS:
        seeded(seed)
        out[f"transforms/random_rotation/{seed}"] = transforms.RandomRotation(
            (-40, 40), rotate_with_proba=0.5)(batch)
    return {k: v if isinstance(v, np.ndarray) else v.asnumpy() for k, v in out.items()}


def augmenters(mx):
    """name -> (a function making the augmenter, its input: "full" the whole uint8 image,
    "small" a 14x10 crop of it, "float" that crop as float32)."""
    img = mx.image
    return {
        "resize": (lambda: img.ResizeAug(20), "full"),
        "resize_random_interp": (lambda: img.ResizeAug(25, interp=10), "full"),
        "force_resize": (lambda: img.ForceResizeAug((25, 17), interp=9), "full"),
        "random_crop": (lambda: img.RandomCropAug((20, 20)), "full"),
        "random_sized_crop": (lambda: img.RandomSizedCropAug((24, 16), 0.08, (0.75, 1.3)),
                              "full"),
        "center_crop": (lambda: img.CenterCropAug((20, 15)), "full"),
        "brightness": (lambda: img.BrightnessJitterAug(0.4), "float"),
        "brightness_uint8": (lambda: img.BrightnessJitterAug(0.4), "small"),
        "contrast": (lambda: img.ContrastJitterAug(0.4), "float"),
        "saturation": (lambda: img.SaturationJitterAug(0.4), "float"),
        "hue": (lambda: img.HueJitterAug(0.3), "float"),
        "color_jitter": (lambda: img.ColorJitterAug(0.3, 0.3, 0.3), "float"),
        "lighting": (lambda: img.LightingAug(0.1, np.array(EIGVAL), np.array(EIGVEC)), "float"),
        "color_normalize": (lambda: img.ColorNormalizeAug(mx.nd.array(MEAN), mx.nd.array(STD)),
                            "float"),
        "random_gray": (lambda: img.RandomGrayAug(0.5), "float"),
        "flip": (lambda: img.HorizontalFlipAug(0.5), "small"),
        "cast": (lambda: img.CastAug(), "small"),
        "cast_float64": (lambda: img.CastAug("float64"), "small"),
        "sequential": (lambda: img.SequentialAug([img.CastAug(), img.HorizontalFlipAug(0.5),
                                                  img.BrightnessJitterAug(0.2)]), "small"),
        "random_order": (lambda: img.RandomOrderAug([img.BrightnessJitterAug(0.2),
                                                     img.ContrastJitterAug(0.2),
                                                     img.HueJitterAug(0.2)]), "float"),
    }


def augmenter_cases(mx, img):
    small = mx.image.fixed_crop(img, 5, 3, 14, 10)  # keeps the golden file small
    inputs = {"full": img, "small": small, "float": small.astype("float32")}
    base = mx.image.Augmenter(a=np.array([1, 2]), b=mx.nd.array([1.5]), c=(3, "x"))
    out = {"aug/base:dumps": np.array(base.dumps())}
    for name, (make, kind) in augmenters(mx).items():
        dumps = make().dumps()
        out[f"aug/{name}:dumps"] = np.array(dumps if isinstance(dumps, str) else json.dumps(dumps))
        for seed in SEEDS:
            seeded(seed)
            result = make()(inputs[kind].copy())
            out[f"aug/{name}/{seed}"] = result.asnumpy()
    return out


CREATE_CASES = {
    "default": dict(data_shape=(3, 20, 24)),
    "crop_mirror": dict(data_shape=(3, 20, 24), resize=30, rand_crop=True, rand_mirror=True,
                        mean=True, std=True),
    "sized_crop": dict(data_shape=(3, 16, 16), rand_crop=True, rand_resize=True,
                       inter_method=10),
    "colour": dict(data_shape=(3, 30, 30), brightness=0.2, contrast=0.2, saturation=0.2,
                   hue=0.1, pca_noise=0.1, rand_gray=0.3, mean=np.array([1.0, 2.0, 3.0]),
                   std=np.array([4.0, 5.0, 6.0])),
}


def create_cases(mx, img):
    out = {}
    for name, kwargs in CREATE_CASES.items():
        augs = mx.image.CreateAugmenter(**kwargs)
        out[f"create/{name}:dumps"] = np.array(json.dumps([a.dumps() for a in augs]))
        for seed in SEEDS[:2]:
            seeded(seed)
            augs = mx.image.CreateAugmenter(**kwargs)
            result = img.copy()
            for aug in augs:
                result = aug(result)
            out[f"create/{name}/{seed}"] = result.asnumpy()
    return out


# ---- ImageIter ---------------------------------------------------------------------------
ITER_SIZES = [(12, 16), (9, 11), (14, 10), (10, 10), (16, 13)]  # (h, w) of the 5 images


def iter_files(mx, png_writer):
    """name -> bytes of the files the iterator cases read: five PNGs, two .lst files (one
    label, two labels), and the same images in a .rec with its .idx, written by ``mx``
    (run by the generator only; the test writes the stored bytes)."""
    import os
    import tempfile

    rng = np.random.RandomState(5)
    files, lines = {}, []  # lines: the two-label list
    with tempfile.TemporaryDirectory() as tmp:
        rec = mx.recordio.MXIndexedRecordIO(os.path.join(tmp, "x.idx"),
                                            os.path.join(tmp, "x.rec"), "w")
        for i, (h, w) in enumerate(ITER_SIZES):
            pixels = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
            png = png_writer(pixels.reshape(h, -1), w, 8, 2, 3)
            files[f"img{i}.png"] = png
            lines.append(f"{i}\t{float(i)}\t{i * 0.5}\timg{i}.png\n")
            rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), png))
        rec.close()
        for name in ("x.rec", "x.idx"):
            with open(os.path.join(tmp, name), "rb") as f:
                files[name] = f.read()
    files["two.lst"] = "".join(lines).encode()
    files["one.lst"] = "".join(f"{i}\t{float(i)}\timg{i}.png\n"
                               for i in range(len(ITER_SIZES))).encode()
    return files


ITER_CASES = {
    "lst_pad": dict(batch_size=2, data_shape=(3, 8, 8), path_imglist="one.lst"),
    "lst_discard": dict(batch_size=2, data_shape=(3, 8, 8), path_imglist="one.lst",
                        last_batch_handle="discard"),
    "lst_roll_over": dict(batch_size=2, data_shape=(3, 8, 8), path_imglist="one.lst",
                          last_batch_handle="roll_over"),
    "lst_shuffle": dict(batch_size=3, data_shape=(3, 6, 7), path_imglist="one.lst",
                        shuffle=True, rand_crop=True, rand_mirror=True),
    "lst_two_labels": dict(batch_size=4, data_shape=(3, 8, 8), path_imglist="two.lst",
                           label_width=2, dtype="float64", resize=9, mean=True, std=True),
    "imglist": dict(batch_size=2, data_shape=(3, 5, 5),
                    imglist=[[1.5, "img0.png"], [[2.0, 3.0], "img3.png"], [4, 5, "img1.png"]],
                    label_width=2, last_batch_handle="roll_over"),
    "rec": dict(batch_size=2, data_shape=(3, 8, 8), path_imgrec="x.rec"),
    "rec_idx_shuffle": dict(batch_size=2, data_shape=(3, 8, 8), path_imgrec="x.rec",
                            path_imgidx="x.idx", shuffle=True, last_batch_handle="discard"),
    "rec_parts": dict(batch_size=1, data_shape=(3, 8, 8), path_imgrec="x.rec",
                      path_imgidx="x.idx", num_parts=2, part_index=1),
    "aug_list": dict(batch_size=3, data_shape=(3, 7, 9), path_imglist="one.lst",
                     aug_list=[]),
}


def iter_cases(mx, root):
    """Three epochs of each case (reset between them): batches, labels and pads."""
    import os

    out = {}
    for name, kwargs in ITER_CASES.items():
        kwargs = dict(kwargs)
        for key in ("path_imglist", "path_imgrec", "path_imgidx"):
            if key in kwargs:
                kwargs[key] = os.path.join(root, kwargs[key])
        if name == "aug_list":
            kwargs["aug_list"] = [mx.image.ForceResizeAug((9, 7), interp=1)]
        seeded(11)
        it = mx.image.ImageIter(path_root=root, **kwargs)
        for epoch in range(3):
            if epoch:
                it.reset()
            for i, batch in enumerate(it):
                out[f"iter/{name}/{epoch}/{i}:data"] = batch.data[0].asnumpy()
                out[f"iter/{name}/{epoch}/{i}:label"] = batch.label[0].asnumpy()
                out[f"iter/{name}/{epoch}/{i}:pad"] = np.array(batch.pad)
    return out
