"""Joining a group of worker processes (``mxjax launch``) through ``jax.distributed``.

The launcher gives each worker MXNet's launcher variables -- ``DMLC_ROLE=worker``,
``DMLC_NUM_WORKER``, ``DMLC_PS_ROOT_URI`` and ``DMLC_PS_ROOT_PORT`` (here the address of
JAX's coordinator, which worker 0 hosts) -- plus ``DMLC_WORKER_ID``, the worker's rank
(MXNet's own ``tools/launch.py`` gives ``DMLC_TASK_ID`` instead, which serves too). JAX
must join the group before it computes anything, so ``import mxjax`` does it; on CPU the
collectives run on gloo. Processes that MXNet's launcher starts as parameter servers or
as the scheduler (``DMLC_ROLE=server`` or ``scheduler``) have nothing to do without a
parameter server: they exit at import, quietly. A worker waits
``MXJAX_DIST_TIMEOUT`` seconds (default 300) for the others to join, then fails.
"""

import os
import sys

import jax

__all__ = ["join_from_environment", "num_workers", "rank"]

_joined = []


def join_from_environment():
    """Join the group the environment describes, if any (once per process)."""
    role = os.environ.get("DMLC_ROLE", "worker")
    if role in ("server", "scheduler"):
        sys.exit(0)
    if _joined or role != "worker":
        return
    count = os.environ.get("DMLC_NUM_WORKER")
    rank_ = os.environ.get("DMLC_WORKER_ID", os.environ.get("DMLC_TASK_ID"))
    if count is None or rank_ is None or int(count) < 2:
        return
    address = f"{os.environ.get('DMLC_PS_ROOT_URI', '127.0.0.1')}:" \
              f"{os.environ.get('DMLC_PS_ROOT_PORT', '9091')}"
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(address, num_processes=int(count), process_id=int(rank_),
                               initialization_timeout=int(
                                   os.environ.get("MXJAX_DIST_TIMEOUT", "300")))
    _joined.append(address)


def num_workers():
    """Worker processes in the group (1 without a launcher)."""
    return jax.process_count() if _joined else 1


def rank():
    """This worker's rank, 0 to ``num_workers() - 1``."""
    return jax.process_index() if _joined else 0
