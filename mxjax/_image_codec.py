"""Image file decoding and encoding for ``mx.recordio`` and ``gluon.data.vision``.

OpenCV (``cv2``) or Pillow is used when installed. Without them PNG still works
(numpy + zlib, non-interlaced images of every colour type); JPEG and other formats
raise ``NotImplementedError`` naming the packages that would handle them. Images are
HWC uint8 numpy arrays in RGB channel order unless ``bgr=True`` (OpenCV's order).
"""

import io
import struct
import zlib

import numpy as np

__all__ = ["decode", "encode", "read"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}   # PNG colour type -> samples per pixel


def _cv2():
    try:
        import cv2
    except ImportError:
        return None
    return cv2


def _pil():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _no_codec(what):
    return NotImplementedError(
        f"{what}: mxjax decodes and encodes PNG by itself; other image formats (JPEG, ...) "
        "need OpenCV (pip install opencv-python-headless) or Pillow (pip install pillow), "
        "neither of which is installed. Convert the images to PNG, or install one of them.")


# ---- PNG, numpy only ---------------------------------------------------------------------
def _chunks(buf):
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(buf):
        length, kind = struct.unpack(">I4s", buf[pos:pos + 8])
        yield kind, buf[pos + 8:pos + 8 + length]
        pos += 12 + length


def _unfilter(raw, height, stride, bpp):
    """Undo PNG's per-row filters; ``raw`` holds ``height`` rows of 1 + stride bytes."""
    rows = np.frombuffer(raw, np.uint8)[:height * (stride + 1)].reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:      # Sub: a running sum per byte position modulo bpp
            cur = np.cumsum(np.pad(line, (0, -stride % bpp)).reshape(-1, bpp), axis=0)
            cur = cur.reshape(-1)[:stride]
        elif kind == 2:      # Up
            cur = line + prev
        elif kind in (3, 4):  # Average / Paeth: each pixel depends on its left neighbour
            cur = line.copy()
            for x in range(0, stride, bpp):
                a = cur[x - bpp:x] & 255 if x else np.zeros(bpp, np.int32)
                b = prev[x:x + bpp]
                if kind == 3:
                    cur[x:x + bpp] += (a + b) >> 1
                else:
                    c = prev[x - bpp:x] if x else np.zeros(bpp, np.int32)
                    p = a + b - c
                    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
                    cur[x:x + bpp] += np.where((pa <= pb) & (pa <= pc), a,
                                               np.where(pb <= pc, b, c))
        else:
            raise ValueError(f"corrupt PNG: unknown filter type {kind} in row {y}")
        prev = cur & 255
        out[y] = prev
    return out


def _decode_png(buf):
    """PNG bytes -> HxWxC array (uint8, or uint16 for 16-bit files), RGB(A) order."""
    header, data, palette, transparency = None, [], None, None
    for kind, body in _chunks(buf):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            data.append(body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = np.frombuffer(body, np.uint8)
    if header is None or not data:
        raise ValueError("corrupt PNG: IHDR or IDAT chunk missing")
    width, height, depth, ctype, _, _, interlace = header
    if interlace:
        raise NotImplementedError("interlaced PNG: " + str(_no_codec("decode").args[0]))
    channels = _CHANNELS[ctype]
    bits = depth * channels
    stride = (width * bits + 7) // 8
    rows = _unfilter(zlib.decompress(b"".join(data)), height, stride, max(1, bits // 8))
    if depth == 16:
        img = rows.view(">u2").reshape(height, width, channels).astype(np.uint16)
    elif depth == 8:
        img = rows.reshape(height, width, channels)
    else:                     # 1, 2 or 4 bits: grey or palette indices
        bitvals = np.unpackbits(rows, axis=1).reshape(height, -1, depth)
        weights = 1 << np.arange(depth - 1, -1, -1)
        img = (bitvals * weights).sum(-1)[:, :width, None].astype(np.uint8)
        if ctype == 0:
            img = (img * (255 // ((1 << depth) - 1))).astype(np.uint8)
    if ctype == 3:
        rgb = palette[img[..., 0]]
        if transparency is not None:
            alpha = np.full(len(palette), 255, np.uint8)
            alpha[:len(transparency)] = transparency
            rgb = np.concatenate([rgb, alpha[img[..., 0]][..., None]], axis=-1)
        img = rgb
    return img


def _to_gray(rgb):
    # libpng's RGB -> grey (what OpenCV's PNG reader asks it for, with red 0.299 and green
    # 0.587): those weights truncated to 15 bits, blue the rest of 32768; the weighted sum
    # truncated, at the file's bit depth. Checked against MXNet on a 53x37 image.
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 9797 + g * 19234 + b * 3737) >> 15)[..., None]


def _convert(img, flag):
    """Apply an imdecode flag (1 colour, 0 grey, -1 unchanged) to an RGB(A)/grey image
    of 8 or 16 bits; flags 0 and 1 give 8 bits."""
    if flag < 0:
        return img
    channels, deep = img.shape[-1], img.dtype == np.uint16
    if flag == 0:
        img = img[..., :1] if channels <= 2 else _to_gray(img)
    elif channels <= 2:
        img = np.repeat(img[..., :1], 3, axis=-1)
    else:
        img = img[..., :3]
    return (img >> 8 if deep else img).astype(np.uint8)


def _encode_png(img, level):
    img = np.ascontiguousarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if img.dtype not in (np.uint8, np.uint16) or img.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"PNG encoding needs an HxWxC uint8/uint16 image with C in 1..4, "
                         f"got shape {img.shape} and dtype {img.dtype}")
    height, width, channels = img.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = img.astype(">u2").view(np.uint8) if img.dtype == np.uint16 else img
    rows = rows.reshape(height, -1)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, img.dtype.itemsize * 8, ctype, 0, 0, 0)
    return (_PNG_SIGNATURE + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, min(max(int(level), 0), 9)))
            + chunk(b"IEND", b""))


# ---- public ------------------------------------------------------------------------------
def decode(buf, flag=1, bgr=False):
    """Image file bytes -> numpy array: HxWx3 (flag=1), HxWx1 (flag=0) or as stored
    (flag=-1; a grey image is then 2-D, as OpenCV returns it)."""
    buf = bytes(buf)
    cv2 = _cv2()
    if cv2 is not None:
        img = cv2.imdecode(np.frombuffer(buf, np.uint8), flag)
        if img is None:
            raise ValueError("cannot decode image (not a known image format)")
        if img.ndim == 3 and img.shape[-1] >= 3 and not bgr:
            img = img[..., [2, 1, 0, 3][:img.shape[-1]]]
        return img[..., None] if img.ndim == 2 and flag >= 0 else img
    if buf.startswith(_PNG_SIGNATURE):
        img = _convert(_decode_png(buf), flag)
    else:
        pil = _pil()
        if pil is None:
            raise _no_codec("decode")
        img = pil.open(io.BytesIO(buf))
        if flag >= 0 or img.mode == "P":
            img = img.convert("L" if flag == 0 else "RGB" if flag == 1 else "RGBA")
        img = np.asarray(img)
        img = img[..., None] if img.ndim == 2 else img
    if flag < 0 and img.shape[-1] == 1:
        img = img[..., 0]
    if bgr and img.ndim == 3 and img.shape[-1] >= 3:
        img = img[..., [2, 1, 0, 3][:img.shape[-1]]]
    return img


def encode(img, img_fmt=".png", quality=95, bgr=False):
    """Encode a numpy image (RGB, or BGR with ``bgr=True``) as PNG or JPEG bytes."""
    img = np.asarray(img)
    fmt = img_fmt.lower()
    cv2 = _cv2()
    if cv2 is not None:
        if img.ndim == 3 and img.shape[-1] >= 3 and not bgr:
            img = img[..., [2, 1, 0, 3][:img.shape[-1]]]
        params = [cv2.IMWRITE_PNG_COMPRESSION if fmt == ".png" else cv2.IMWRITE_JPEG_QUALITY,
                  quality]
        ok, buf = cv2.imencode(img_fmt, img, params)
        if not ok:
            raise ValueError("failed to encode image")
        return buf.tobytes()
    if bgr and img.ndim == 3 and img.shape[-1] >= 3:
        img = img[..., [2, 1, 0, 3][:img.shape[-1]]]
    if fmt == ".png":
        return _encode_png(img, quality)
    pil = _pil()
    if pil is None:
        raise _no_codec("encode")
    out = io.BytesIO()
    pil.fromarray(img.squeeze(-1) if img.ndim == 3 and img.shape[-1] == 1 else img).save(
        out, format="JPEG" if fmt in (".jpg", ".jpeg") else fmt.lstrip(".").upper(),
        quality=quality)
    return out.getvalue()


def read(filename, flag=1):
    """Decode the image file ``filename`` (RGB order); ``.npy`` files are loaded as is."""
    if str(filename).lower().endswith(".npy"):
        img = np.load(filename)
        img = img[..., None] if img.ndim == 2 else img
        return _convert(img, flag) if img.dtype == np.uint8 else img
    with open(filename, "rb") as f:
        return decode(f.read(), flag)
