"""DataLoader throughput, mxjax against real MXNet 1.9.1, in one run.

``DataLoader(ArrayDataset(X, y).transform_first(ToTensor()), 256)`` over 6,000 28x28x1
uint8 images (an NDArray, as a Fashion-MNIST dataset gives them) and int32 labels, with
``num_workers`` 0 and 4 (``totensor``). mxjax transforms whole batches there; the
``flip+totensor`` case (``Compose([RandomFlipLeftRight(), ToTensor()])``) shows the
per-sample path, where each sample is transformed on its own, in numpy. Each case runs
in a fresh process: the worker pool is built, one epoch is run as warm-up (worker
start-up, first compiles), then the median of ``--epochs`` timed epochs is printed.
Every batch is waited for (``wait_to_read``).

MXNet runs from the reference virtual environment (``make refvenv``; override with
``--mxnet-python``); without it only mxjax's numbers are printed.

    python benchmarks/dataloader.py [--epochs 5] [--workers 0 4] [--cases totensor ...]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF_PYTHON = os.path.join(REPO, ".refvenv", "bin", "python")
if not os.path.exists(REF_PYTHON):  # a worktree: the main checkout's reference venv
    REF_PYTHON = "/work/main/.refvenv/bin/python"

N, SIDE, BATCH = 6000, 28, 256
CASES = ("totensor", "flip+totensor")


def _transform(transforms, case):
    if case == "totensor":
        return transforms.ToTensor()
    return transforms.Compose([transforms.RandomFlipLeftRight(), transforms.ToTensor()])


def measure(library, case, num_workers, epochs):
    """Seconds per epoch (median of ``epochs`` after one warm-up epoch), in this process."""
    import numpy as np
    mx = __import__(library)
    from_lib = mx.gluon.data
    rng = np.random.RandomState(0)
    X = mx.nd.array(rng.randint(0, 256, (N, SIDE, SIDE, 1)), dtype="uint8")
    y = rng.randint(0, 10, N).astype(np.int32)
    dataset = from_lib.ArrayDataset(X, y).transform_first(
        _transform(from_lib.vision.transforms, case))
    loader = from_lib.DataLoader(dataset, BATCH, num_workers=num_workers)

    def epoch():
        t0 = time.perf_counter()
        for data, label in loader:
            data.wait_to_read()
            label.wait_to_read()
        return time.perf_counter() - t0

    epoch()  # warm-up: worker start-up, first compiles
    return statistics.median(epoch() for _ in range(epochs))


def run_case(python, library, case, num_workers, epochs):
    cmd = [python, __file__, "--measure", library, case, str(num_workers), str(epochs)]
    env = dict(os.environ, PYTHONPATH=REPO if library == "mxjax" else "")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"{library} num_workers={num_workers} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 4])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--mxnet-python", default=REF_PYTHON)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        library, case, workers, epochs = args.measure
        print(json.dumps({"seconds": measure(library, case, int(workers), int(epochs))}))
        return
    has_mxnet = os.path.exists(args.mxnet_python)
    print(f"DataLoader: {N} images {SIDE}x{SIDE}x1 uint8, batch {BATCH}; seconds per epoch, "
          f"median of {args.epochs} epochs after 1 warm-up epoch")
    print(f"{'case':<15}{'num_workers':<13}{'mxjax':>10}{'MXNet 1.9.1':>13}"
          f"{'mxjax samples/s':>17}{'speed-up':>10}")
    for case in args.cases:
        for workers in args.workers:
            ours = run_case(sys.executable, "mxjax", case, workers, args.epochs)
            ref = (run_case(args.mxnet_python, "mxnet", case, workers, args.epochs)
                   if has_mxnet else None)
            ref_cell = f"{ref:>12.3f}s" if ref else f"{'-':>13}"
            speed = f"{ref / ours:>9.2f}x" if ref else f"{'-':>10}"
            print(f"{case:<15}{workers:<13}{ours:>9.3f}s{ref_cell}{N / ours:>17.0f}{speed}")


if __name__ == "__main__":
    main()
