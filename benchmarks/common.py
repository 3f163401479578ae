"""Timing helpers shared by the benchmarks: medians of repeated calls, warm-up excluded."""

import statistics
import time

import jax

__all__ = ["median_time", "block", "print_table"]


def block(result):
    """Wait for a result (NDArray, jax array, or a container of them)."""
    if hasattr(result, "wait_to_read"):
        result.wait_to_read()
    else:
        jax.block_until_ready(result)
    return result


def median_time(fn, repeat=200, warmup=20, inner=1):
    """Median seconds per call of ``fn`` over ``repeat`` timed rounds of ``inner`` calls."""
    for _ in range(warmup):
        block(fn())
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            out = fn()
        block(out)
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def print_table(title, rows, baseline_label="pure JAX"):
    """rows: (name, mxjax seconds, baseline seconds)."""
    print(f"\n{title}")
    print(f"{'case':<34}{'mxjax':>12}{baseline_label:>14}{'ratio':>9}")
    for name, ours, base in rows:
        print(f"{name:<34}{ours * 1e6:>10.1f}us{base * 1e6:>12.1f}us{ours / base:>8.2f}x")
