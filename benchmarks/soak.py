"""Soaks: memory and compiles over long runs (figures printed, nothing asserted).

    python benchmarks/soak.py [--steps 20000] [--shapes 200] [--threads-steps 2000]

1. fixed shapes: a captured MLP training step run ``--steps`` times; resident memory
   (RSS) and compile count after warm-up (the first 200 steps) and at the end.
2. shape cycling: the same step over ``--shapes`` distinct batch sizes, with the compiled
   program cache at its default size and at 8 (``MXJAX_COMPILE_CACHE_SIZE``); RSS after
   each 25 new shapes.
3. two threads: one trains, one evaluates the same hybridized net; errors counted.
"""

import argparse
import os
import threading
import time
import warnings

import numpy as np

import mxjax as mx
from mxjax import autograd, gluon, nd


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(64, activation="relu"), gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    return net, trainer


LOSS = gluon.loss.SoftmaxCrossEntropyLoss()


def step(net, trainer, x, y):
    with autograd.record():
        loss = LOSS(net(x), y)
    loss.backward()
    trainer.step(x.shape[0])
    return loss


def fixed_shapes(steps):
    net, trainer = make_net()
    rng = np.random.default_rng(0)
    x = nd.array(rng.normal(size=(32, 20)))
    y = nd.array(rng.integers(0, 10, size=32))
    t0 = time.perf_counter()
    for i in range(steps):
        loss = step(net, trainer, x, y)
        if i == 199:
            loss.asnumpy()
            warm = rss_mib(), mx.engine.compile_stats()["compiles"]
    loss.asnumpy()
    end = rss_mib(), mx.engine.compile_stats()["compiles"]
    seconds = time.perf_counter() - t0
    print(f"1. fixed shapes, {steps} steps in {seconds:.1f} s: RSS {warm[0]:.0f} MiB after "
          f"200 steps, {end[0]:.0f} MiB at the end ({end[0] - warm[0]:+.1f}); compiles "
          f"{warm[1]} after warm-up, {end[1] - warm[1]} after")


def shape_cycling(shapes):
    net, trainer = make_net()
    rng = np.random.default_rng(0)
    start = rss_mib()
    line = []
    for i in range(shapes):
        batch = 2 + i
        x = nd.array(rng.normal(size=(batch, 20)))
        y = nd.array(rng.integers(0, 10, size=batch))
        step(net, trainer, x, y).asnumpy()
        if (i + 1) % 25 == 0:
            line.append(f"{i + 1}: {rss_mib() - start:+.0f}")
    stats = mx.engine.compile_stats()
    size = os.environ.get("MXJAX_COMPILE_CACHE_SIZE", "64 (default)")
    print(f"2. shape cycling, cache size {size}: RSS growth in MiB after n shapes "
          f"{', '.join(line)}; compiles {stats['compiles']}, evictions {stats['evictions']}")


def two_threads(steps):
    net, trainer = make_net()
    x = nd.ones((32, 20))
    y = nd.zeros((32,))
    step(net, trainer, x, y).asnumpy()
    errors, evaluations, stop = [], [0], threading.Event()

    def evaluate():
        while not stop.is_set():
            try:
                net(x).asnumpy()
                evaluations[0] += 1
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(repr(e)[:120])

    worker = threading.Thread(target=evaluate)
    worker.start()
    t0 = time.perf_counter()
    for _ in range(steps):
        step(net, trainer, x, y)
    mx.nd.waitall()
    stop.set()
    worker.join()
    print(f"3. two threads: {steps} training steps and {evaluations[0]} evaluations in "
          f"{time.perf_counter() - t0:.1f} s, {len(errors)} errors"
          + (f" (first: {errors[0]})" if errors else ""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--shapes", type=int, default=200)
    parser.add_argument("--threads-steps", type=int, default=2000)
    parser.add_argument("--only", choices=["fixed", "shapes", "threads"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the recompile warning is expected in the cycling soak
    if args.only in (None, "fixed"):
        fixed_shapes(args.steps)
    if args.only in (None, "shapes"):
        shape_cycling(args.shapes)
    if args.only in (None, "threads"):
        two_threads(args.threads_steps)


if __name__ == "__main__":
    main()
