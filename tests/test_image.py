"""``mx.image`` against MXNet 1.9.1: the cases of tests/reference/image_cases.py run with
mxjax and compared with the goldens generate_image.py wrote with MXNet."""

import os

import numpy as np
import pytest

import mxjax as mx
from tests.reference import image_cases as cases

REFERENCE = os.path.join(os.path.dirname(__file__), "reference")
with np.load(os.path.join(REFERENCE, "goldens", "image.npz")) as _npz:
    GOLDEN = {k: _npz[k] for k in _npz.files}
with open(os.path.join(REFERENCE, "fixtures", "image_small.jpg"), "rb") as _f:
    JPG = _f.read()
PNG = GOLDEN["input/png"].tobytes()


@pytest.fixture(scope="module")
def img():
    return mx.image.imdecode(JPG)


def check(results, expected_count):
    assert len(results) == expected_count
    for key, got in results.items():
        want = GOLDEN[key]
        if got.ndim == 0:  # the generator's numpy saved 0-d arrays with shape (1,)
            got = got.reshape(1)
        if want.dtype.kind == "U":
            assert got.tolist() == want.tolist(), key
            continue
        assert got.shape == want.shape and got.dtype == want.dtype, \
            (key, got.shape, got.dtype, want.shape, want.dtype)
        if want.dtype.kind == "f":  # MXNet sums in another order
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4, err_msg=key)
        else:
            np.testing.assert_array_equal(got, want, err_msg=key)


def test_decode():
    check(cases.decode_cases(mx, PNG, JPG), 8)


def test_png_without_opencv(monkeypatch):
    from mxjax import _image_codec
    monkeypatch.setattr(_image_codec, "_cv2", lambda: None)
    monkeypatch.setattr(_image_codec, "_pil", lambda: None)
    for flag in (0, 1):
        np.testing.assert_array_equal(mx.image.imdecode(PNG, flag=flag).asnumpy(),
                                      GOLDEN[f"imdecode/png/flag{flag}"])
    np.testing.assert_array_equal(mx.image.imdecode(PNG, to_rgb=0).asnumpy(),
                                  GOLDEN["imdecode/png/bgr"])


def test_imread(tmp_path, img):
    path = tmp_path / "small.jpg"
    path.write_bytes(JPG)
    out = mx.image.imread(str(path))
    assert isinstance(out, mx.nd.NDArray) and out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), GOLDEN["imdecode/jpg/flag1"])
    np.testing.assert_array_equal(mx.image.imread(str(path), 0).asnumpy(),
                                  GOLDEN["imdecode/jpg/flag0"])
    with pytest.raises(mx.MXNetError, match="cannot read"):
        mx.image.imread(str(tmp_path / "missing.jpg"))


def test_functions(img):
    check(cases.function_cases(mx, img), 84)


def test_results_stay_on_the_host(img):
    from mxjax.ndarray import host
    out = mx.image.CreateAugmenter((3, 20, 20), rand_crop=True, brightness=0.1, mean=True)
    x = img
    for aug in out:
        x = aug(x)
        assert host.value(x) is not None, aug.dumps()
    assert host.value(mx.image.imresize(img, 9, 7)) is not None


def test_color_normalize_writes_its_input(img):
    src = img.astype("float32")
    out = mx.image.color_normalize(src, mx.nd.array(cases.MEAN))
    assert out is src
    np.testing.assert_allclose(src.asnumpy(), GOLDEN["color_normalize/mean"], rtol=1e-6)


def test_errors(img):
    with pytest.raises(mx.MXNetError, match="interpolation method 9"):
        mx.image.imresize(img, 10, 10, interp=9)
    with pytest.raises(mx.MXNetError, match="flag"):
        mx.image.imdecode(JPG, flag=-1)
    with pytest.raises(ValueError, match="bytes"):
        mx.image.imdecode("not bytes")
    with pytest.raises(mx.MXNetError, match="border type 7"):
        mx.image.copyMakeBorder(img, 1, 1, 1, 1, type=7)
    with pytest.raises(ValueError, match="interp method 6"):
        mx.image.resize_short(img, 10, interp=6)
    with pytest.raises(mx.MXNetError, match="ContrastJitterAug: the image must be float32"):
        mx.image.ContrastJitterAug(0.2)(img)
    with pytest.raises(TypeError, match="float32"):
        mx.image.imrotate(img, 10)
    with pytest.raises(ValueError, match="2 images and 1 angles"):
        mx.image.imrotate(mx.nd.zeros((2, 3, 4, 4)), mx.nd.array([1.0]))
    with pytest.raises(AssertionError, match="rand_crop"):
        mx.image.CreateAugmenter((3, 8, 8), rand_resize=True)


def test_augmenters(img):
    check(cases.augmenter_cases(mx, img), 1 + 20 * (1 + len(cases.SEEDS)))


def test_create_augmenter(img):
    check(cases.create_cases(mx, img), 4 * 3)


def test_image_iter(tmp_path):
    for key, data in GOLDEN.items():
        if key.startswith("iterfile/"):
            (tmp_path / key.split("/", 1)[1]).write_bytes(data.tobytes())
    results = cases.iter_cases(mx, str(tmp_path))
    check(results, sum(key.startswith("iter/") for key in GOLDEN))


def test_out_arguments(img):
    out = mx.nd.zeros((37, 53, 3), dtype="uint8")
    assert mx.image.imdecode(JPG, out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), GOLDEN["imdecode/jpg/flag1"])
    small = mx.nd.zeros((30, 20, 3), dtype="uint8")
    assert mx.image.imresize(img, 20, 30, 3, out=small) is small
    np.testing.assert_array_equal(small.asnumpy(), GOLDEN["imresize/3/20x30"])
    with pytest.raises(mx.MXNetError, match="out array has shape"):
        mx.image.imresize(img, 21, 30, out=small)


def test_image_iter_names_a_broken_image(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    (tmp_path / "list.lst").write_text("0\t1.0\tbad.png\n")
    it = mx.image.ImageIter(1, (3, 4, 4), path_imglist=str(tmp_path / "list.lst"),
                            path_root=str(tmp_path))
    with pytest.raises(RuntimeError, match="Broken image filename: bad.png"):
        it.next()


def test_imdecode_of_an_empty_buffer_raises_mxnet_error():
    with pytest.raises(mx.base.MXNetError, match="empty"):
        mx.image.imdecode(b"", to_rgb=0)
