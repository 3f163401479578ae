"""``mx.image`` goldens from real MXNet 1.9.1, for tests/test_image.py.

    /work/main/.refvenv/bin/python tests/reference/generate_image.py

The cases live in ``image_cases.py`` (run here with MXNet, there with mxjax). Inputs:
``fixtures/image_small.jpg``, a 53x37 JPEG (quality 90) that OpenCV wrote once, and a
PNG of the same pixels written here (``generate_data.write_png``, every row filter).
Writes ``goldens/image.npz``: the PNG (``input/png``), what MXNet decodes, and the
outputs of each case (``<case>`` arrays, ``<case>:box`` crop boxes, ``<case>:dumps``
augmenter descriptions); the files the ``ImageIter`` cases read (``iterfile/<name>``, a
.rec and .idx MXNet wrote among them). Random cases seed Python's ``random`` and numpy's global
generator (``image_cases.seeded``), the two streams MXNet's image code draws from.
"""

import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import image_cases as cases  # noqa: E402
from generate_data import write_png  # noqa: E402
from generate_layers import _savez  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
JPG = os.path.join(HERE, "fixtures", "image_small.jpg")
NPZ = os.path.join(HERE, "goldens", "image.npz")


def main():
    import mxnet as mx

    with open(JPG, "rb") as f:
        jpg = f.read()
    img = mx.image.imdecode(jpg)
    png = write_png(img.asnumpy().reshape(img.shape[0], -1), img.shape[1], 8, 2, 3)
    arrays = {"input/png": np.frombuffer(png, np.uint8)}
    arrays.update(cases.decode_cases(mx, png, jpg))
    arrays.update(cases.function_cases(mx, img))
    arrays.update(cases.augmenter_cases(mx, img))
    arrays.update(cases.create_cases(mx, img))
    files = cases.iter_files(mx, write_png)
    with tempfile.TemporaryDirectory() as root:
        for name, data in files.items():
            arrays[f"iterfile/{name}"] = np.frombuffer(data, np.uint8)
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        arrays.update(cases.iter_cases(mx, root))
    _savez(NPZ, arrays)
    print(f"wrote {len(arrays)} arrays to {NPZ}")


if __name__ == "__main__":
    main()
