"""``mxjax launch -n N [--launcher local] script.py [args...]``: N worker processes.

Each worker runs the script as ``mxjax run`` does (``import mxnet`` is mxjax) with MXNet's
launcher variables set (``DMLC_ROLE``, ``DMLC_NUM_WORKER``, ``DMLC_PS_ROOT_URI``,
``DMLC_PS_ROOT_PORT``) plus ``DMLC_WORKER_ID``; ``import mxjax`` then joins the group
(``jax.distributed``, coordinated by worker 0) and ``mx.kv.create('dist_sync')`` sums over
it. Only the ``local`` launcher (this machine) is provided: for several machines, start the
same command on each with ``jax.distributed``'s own launchers (SLURM, Kubernetes...).
"""

import argparse
import os
import socket
import subprocess
import sys
import time

__all__ = ["main"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="mxjax launch",
                                     description="Run an MXNet script in N worker processes.")
    parser.add_argument("-n", "--num-workers", type=int, required=True)
    parser.add_argument("--launcher", default="local", choices=["local"])
    parser.add_argument("-p", "--port", type=int, default=0,
                        help="coordinator port (default: a free one)")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.num_workers < 1:
        parser.error("-n must be at least 1")
    port = ns.port or _free_port()
    workers = []
    for rank in range(ns.num_workers):
        env = dict(os.environ, DMLC_ROLE="worker", DMLC_NUM_WORKER=str(ns.num_workers),
                   DMLC_WORKER_ID=str(rank), DMLC_PS_ROOT_URI="127.0.0.1",
                   DMLC_PS_ROOT_PORT=str(port))
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "mxjax", "run", ns.script, *ns.args], env=env))
    code = 0
    try:
        while workers:
            for w in list(workers):
                rc = w.poll()
                if rc is None:
                    continue
                workers.remove(w)
                if rc != 0 and code == 0:
                    code = rc
                    for other in workers:  # the group cannot go on without it
                        other.terminate()
            time.sleep(0.05)
    except KeyboardInterrupt:
        for w in workers:
            w.terminate()
        raise
    return code
