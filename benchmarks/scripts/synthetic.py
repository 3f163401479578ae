"""Synthetic data of real shapes for the whole-script benchmarks (numpy only, fixed seeds).

The scripts import this module under both frameworks, so it must not import mxnet.
"""

import os

import numpy as np

__all__ = ["fashion_like", "linear_data", "read_text"]

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _class_templates(num_classes, rng, stripes=True):
    """One 28x28 pattern per class: a few striped Gaussian blobs at class-specific places."""
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    templates = np.zeros((num_classes, 28, 28), np.float32)
    for c in range(num_classes):
        for _ in range(4):
            cy, cx = rng.uniform(5, 23, size=2)
            sigma = rng.uniform(2.0, 5.0)
            templates[c] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma ** 2))
        # A class-specific stripe texture, so that position-blind models (global pooling)
        # can tell classes apart too.
        if stripes:
            angle, freq = np.pi * c / num_classes, rng.uniform(0.8, 1.4)
            texture = np.cos(freq * (np.cos(angle) * xx + np.sin(angle) * yy))
            templates[c] *= 0.6 + 0.4 * texture
        templates[c] /= templates[c].max()
    return templates


def fashion_like(num_train=6000, num_test=1000, num_classes=10, seed=0):
    """Fashion-MNIST-like images: uint8 (n, 28, 28, 1) and int32 labels (n,).

    Each image is its class's pattern mixed with a pattern all classes share, shifted by
    up to 3 pixels, with random contrast and noise: learnable, not perfectly separable.
    """
    rng = np.random.RandomState(seed)
    templates = _class_templates(num_classes, rng)
    common = _class_templates(1, rng, stripes=False)[0]

    def make(n):
        labels = rng.randint(0, num_classes, size=n).astype(np.int32)
        # Every class shares a common pattern under its own.
        images = 0.4 * common + 0.6 * templates[labels]
        shifts = rng.randint(-3, 4, size=(n, 2))
        for i, (dy, dx) in enumerate(shifts):
            images[i] = np.roll(images[i], (dy, dx), axis=(0, 1))
        contrast = rng.uniform(0.6, 1.2, size=(n, 1, 1)).astype(np.float32)
        noise = rng.normal(0.0, 0.2, size=images.shape).astype(np.float32)
        pixels = np.clip((images * contrast + noise) * 255.0, 0, 255).astype(np.uint8)
        return pixels[..., None], labels

    train = make(num_train)
    test = make(num_test)
    return train, test


def linear_data(w, b, num_examples, noise=0.01, seed=0):
    """y = Xw + b + noise, as float32 numpy arrays (X: (n, len(w)), y: (n, 1))."""
    rng = np.random.RandomState(seed)
    w = np.asarray(w, np.float32)
    features = rng.normal(0, 1, size=(num_examples, len(w))).astype(np.float32)
    labels = features @ w + b + rng.normal(0, noise, size=num_examples).astype(np.float32)
    return features, labels.reshape(-1, 1).astype(np.float32)


def read_text(name="lighthouse.txt"):
    """The shipped text, lower-cased with everything but letters and spaces removed."""
    with open(os.path.join(_DATA_DIR, name), encoding="utf-8") as f:
        raw = f.read()
    cleaned = "".join(ch if ch.isalpha() or ch == " " else " " for ch in raw.lower())
    return " ".join(cleaned.split())
