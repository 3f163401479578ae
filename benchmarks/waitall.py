"""``mx.nd.waitall``: what it waits for, and what it costs when nothing is pending.

    python benchmarks/waitall.py

Operators return as soon as XLA has queued them; ``waitall`` returns once they have run,
including those whose results were dropped. Its idle cost grows with the number of live
arrays (it waits on each, for transfers that may still be in flight).
"""

import time

import numpy as np

import mxjax as mx


def _seconds(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    x = mx.nd.random.uniform(shape=(1500, 1500))

    def chain():
        y = x
        for _ in range(8):
            y = mx.nd.dot(y, x) / 1500
        return y

    def dropped():
        for _ in range(8):
            mx.nd.dot(x, x)

    chain().wait_to_read()   # compiled once, outside the timings
    print(f"{'work':<36}{'dispatch':>10}{'waitall':>10}")
    for name, work in (("8 chained 1500x1500 matmuls", chain),
                       ("8 matmuls, results dropped", dropped)):
        dispatch = _seconds(work)
        print(f"{name:<36}{dispatch:>9.3f}s{_seconds(mx.nd.waitall):>9.3f}s")

    print(f"\n{'live arrays':<36}{'idle waitall':>20}")
    for n in (0, 1000, 10000):
        keep = [mx.nd.array(np.ones(4)) for _ in range(n)]
        mx.nd.waitall()
        idle = min(_seconds(mx.nd.waitall) for _ in range(20))
        print(f"{'+ ' + str(n):<36}{idle * 1e3:>18.3f}ms")
        del keep


if __name__ == "__main__":
    main()
