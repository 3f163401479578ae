"""XLA:CPU convolution and pooling formulations (mxjax/operator/cpu_kernels.py), per layer
and in a whole LeNet training step.

    python benchmarks/cpu_kernels.py [--repeat 20] [--steps 30] [--no-layers] [--no-step]

Layers: forward, and forward plus backward (output and both gradients in one program),
of LeNet's and a small ResNet block's convolutions and poolings, float32, channel-first,
in each formulation (Deconvolution: the convolution it runs over the stride-dilated
input): XLA's native convolution / reduce_window, shifted products, im2col, reshape-and-
reduce pooling or the maximum of strided slices (overlapping windows); "chosen" is what
mxjax runs on CPU. Each time is the median of ``--repeat`` calls after 3 warm-up calls,
in process CPU time (all threads): on a machine shared with other work it varies far
less than wall time.

Steps: W2 of benchmarks/training.py (LeNet: Conv2D(6, 5), MaxPool2D(2), Conv2D(16, 5),
MaxPool2D(2), Dense 120-84-10) and LeNet-3x3 (Conv2D(32, 3), MaxPool2D(2), Conv2D(64, 3),
MaxPool2D(2), Dense 128-10); batch 64, Adam, softmax cross-entropy, Gluon hybridized,
median wall and CPU time of ``--steps`` steps after 3 warm-up steps, each setting in its
own process (and the first step's wall time, compiles included): mxjax
with the CPU kernels, mxjax with MXJAX_CPU_KERNELS=0 (XLA's native kernels), and MXNet
1.9.1 when its environment (.refvenv, or $MXNET_PYTHON) is there.
"""

import argparse
import functools
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# name: (data shape, num_filter, kernel, stride, pad)
CONVS = {
    "LeNet conv1 1->6 5x5": ((64, 1, 28, 28), 6, (5, 5), (1, 1), (0, 0)),
    "LeNet conv2 6->16 5x5": ((64, 6, 12, 12), 16, (5, 5), (1, 1), (0, 0)),
    "LeNet-3x3 conv1 1->32": ((64, 1, 28, 28), 32, (3, 3), (1, 1), (0, 0)),
    "LeNet-3x3 conv2 32->64": ((64, 32, 13, 13), 64, (3, 3), (1, 1), (0, 0)),
    "ResNet stem 3->64 3x3": ((32, 3, 32, 32), 64, (3, 3), (1, 1), (1, 1)),
    "ResNet 64->64 3x3": ((32, 64, 16, 16), 64, (3, 3), (1, 1), (1, 1)),
    "ResNet 64->128 3x3 s2": ((32, 64, 16, 16), 128, (3, 3), (2, 2), (1, 1)),
    "ResNet 64->128 1x1 s2": ((32, 64, 16, 16), 128, (1, 1), (2, 2), (0, 0)),
    "depthwise 64 3x3": ((32, 64, 16, 16), 64, (3, 3), (1, 1), (1, 1)),
    "deconv 64->32 4x4 s2": ((32, 64, 8, 8), 32, (4, 4), (2, 2), (1, 1)),
    "deconv 4->1 4x4 s2": ((64, 4, 14, 14), 1, (4, 4), (2, 2), (1, 1)),
}
# name: (data shape, kernel, stride), no padding
POOLS = {
    "LeNet pool1 max 2x2": ((64, 6, 24, 24), (2, 2), (2, 2)),
    "LeNet pool2 max 2x2": ((64, 16, 8, 8), (2, 2), (2, 2)),
    "LeNet-3x3 pool max 2x2": ((64, 32, 26, 26), (2, 2), (2, 2)),
    "ResNet pool max 3x3 s2": ((32, 64, 32, 32), (3, 3), (2, 2)),
}


def _median(fn, args, repeat):
    import jax
    import numpy as np

    for _ in range(3):
        jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        jax.block_until_ready(fn(*args))
        times.append(time.process_time() - t0)
    return float(np.median(times))


def _fwd_bwd(fn):
    import jax

    def run(*args):
        y, vjp = jax.vjp(fn, *args)
        return y, vjp(y)
    return jax.jit(run)


def layers(repeat):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    from mxjax.operator import cpu_kernels

    rs = np.random.RandomState(0)
    print(f"\nLayers (jax {jax.__version__}, {jax.devices()[0].platform}): ms, median of {repeat} "
          "after 3 warm-up calls; fwd / fwd+bwd")
    print(f"{'layer':<26}{'native':>14}{'shifted':>14}{'im2col':>14}  chosen")
    for name, (shape, nf, kernel, stride, pad) in CONVS.items():
        groups = shape[1] if name.startswith("depthwise") else 1
        x = jnp.asarray(rs.randn(*shape), jnp.float32)
        w = jnp.asarray(rs.randn(nf, shape[1] // groups, *kernel), jnp.float32)
        kw = dict(window_strides=stride, padding=[(p, p) for p in pad], lhs_dilation=(1, 1),
                  rhs_dilation=(1, 1), dimension_numbers=("NCHW", "OIHW", "NCHW"),
                  feature_group_count=groups, preferred_element_type=None)
        if name.startswith("deconv"):  # as Deconvolution runs it: over the dilated input
            kw.update(window_strides=(1, 1), lhs_dilation=stride,
                      padding=[(k - 1 - p, k - 1 - p) for k, p in zip(kernel, pad)])
        forms = {"native": functools.partial(lax.conv_general_dilated, **kw),
                 "shifted": functools.partial(cpu_kernels.conv, **kw)}
        if groups == 1:
            forms["im2col"] = functools.partial(cpu_kernels.conv, im2col=True, **kw)
        cells = []
        for label in ("native", "shifted", "im2col"):
            if label not in forms:
                cells.append("-")
                continue
            fwd = _median(jax.jit(forms[label]), (x, w), repeat)
            both = _median(_fwd_bwd(forms[label]), (x, w), repeat)
            cells.append(f"{fwd * 1e3:.1f}/{both * 1e3:.1f}")
        out = jax.eval_shape(forms["native"], x, w).shape
        chosen = cpu_kernels.conv_formulation(x.dtype, shape[1], kernel, groups,
                                              out[0] * out[2] * out[3], out[1])
        print(f"{name:<26}" + "".join(f"{c:>14}" for c in cells) + f"  {chosen}", flush=True)
    print(f"{'max pooling':<26}{'reduce_window':>14}{'new':>14}")
    for name, (shape, kernel, stride) in POOLS.items():
        x = jnp.asarray(rs.randn(*shape), jnp.float32)
        outs = [(n - k) // s + 1 for n, k, s in zip(shape[2:], kernel, stride)]
        if kernel == stride:
            label, new = "reshape", functools.partial(
                cpu_kernels.window_reduce, axes=(2, 3), kernel=kernel, outs=outs, reduce="max")
        else:
            label, new = "strided slices", functools.partial(
                cpu_kernels.strided_max, axes=(2, 3), kernel=kernel, stride=stride, outs=outs)
        native = functools.partial(lax.reduce_window, init_value=-np.inf, computation=lax.max,
                                   window_dimensions=(1, 1, *kernel),
                                   window_strides=(1, 1, *stride), padding="VALID")
        cells = [f"{_median(jax.jit(f), (x,), repeat) * 1e3:.1f}/"
                 f"{_median(_fwd_bwd(f), (x,), repeat) * 1e3:.1f}" for f in (native, new)]
        print(f"{name:<26}" + "".join(f"{c:>14}" for c in cells) + f"  {label}", flush=True)


NETS = {  # name: layers, as (kind, argument)
    "LeNet (W2)": [("conv", 6, 5), ("pool",), ("conv", 16, 5), ("pool",), ("dense", 120),
                   ("dense", 84), ("dense", 10)],
    "LeNet-3x3": [("conv", 32, 3), ("pool",), ("conv", 64, 3), ("pool",), ("dense", 128),
                  ("dense", 10)],
}


def step(backend, name, steps):
    """Median wall and CPU seconds of a hybridized LeNet training step, and the first step's
    wall seconds (compiles included), in this process."""
    import numpy as np

    if backend == "mxnet":
        import mxnet as mx
    else:
        import mxjax as mx
    from_gluon = mx.gluon
    nn = from_gluon.nn
    net = nn.HybridSequential()
    for kind, *arg in NETS[name]:
        net.add(nn.Conv2D(*arg, activation="relu") if kind == "conv" else
                nn.MaxPool2D(2) if kind == "pool" else
                nn.Dense(*arg, activation="relu" if arg[0] != 10 else None))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    rs = np.random.RandomState(0)
    x = mx.nd.array(rs.rand(64, 1, 28, 28))
    y = mx.nd.array(rs.randint(0, 10, 64))
    loss_fn = from_gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = from_gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    params = list(net.collect_params().values())

    def one():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(64)
        params[0].data().wait_to_read()

    t0 = time.perf_counter()
    one()
    first = time.perf_counter() - t0
    for _ in range(2):
        one()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        one()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(wall)), float(np.median(cpu)), first


def _mxnet_python():
    path = os.environ.get("MXNET_PYTHON") or ROOT / ".refvenv" / "bin" / "python"
    for candidate in (Path(path), Path("/work/main/.refvenv/bin/python")):
        if candidate.exists():
            return str(candidate)
    return None


def steps(n):
    runs = [("mxjax, CPU kernels", sys.executable, "mxjax", {"MXJAX_CPU_KERNELS": "1"}),
            ("mxjax, XLA native", sys.executable, "mxjax", {"MXJAX_CPU_KERNELS": "0"})]
    mxnet = _mxnet_python()
    if mxnet:
        runs.append(("MXNet 1.9.1", mxnet, "mxnet", {}))
    for net in NETS:
        print(f"\n{net} step (batch 64, Adam, hybridized): median of {n} steps after 3 "
              "warm-up steps, each setting in its own process")
        for label, python, backend, env in runs:
            _run_step(label, python, backend, env, net, n)


def _run_step(label, python, backend, env, net, n):
    out = subprocess.run([python, __file__, "--only-step", backend, "--net", net,
                          "--steps", str(n)],
                         env=dict(os.environ, **env), capture_output=True, text=True,
                         cwd=ROOT, check=False)
    if out.returncode:
        print(f"{label:<22} failed: {out.stderr.strip().splitlines()[-1:]}")
        return
    wall, cpu, first = map(float, out.stdout.split()[-3:])
    print(f"{label:<22}{wall * 1e3:>10.2f} ms wall{cpu * 1e3:>10.2f} ms CPU"
          f"{first:>10.2f} s first step", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--no-layers", action="store_true")
    parser.add_argument("--no-step", action="store_true")
    parser.add_argument("--only-step", choices=("mxjax", "mxnet"), help=argparse.SUPPRESS)
    parser.add_argument("--net", choices=tuple(NETS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_step:
        print(*step(args.only_step, args.net, args.steps))
        return
    print(f"{os.cpu_count()} CPUs; layer times are process CPU time (all threads), which a "
          "shared machine disturbs less than wall time")
    if not args.no_layers:
        layers(args.repeat)
    if not args.no_step:
        steps(args.steps)


if __name__ == "__main__":
    main()
