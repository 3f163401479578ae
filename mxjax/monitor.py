"""``mx.monitor`` / ``mx.mon``: statistics of an executor's outputs, weights and
auxiliary states every N batches, for debugging a training run.

``Module.install_monitor(mon)`` (or ``mon.install(executor)``) registers the monitor on
the executors; ``tic()`` before a batch's forward and ``toc()`` / ``toc_print()`` after
its backward collect ``(batch, name, statistic)`` for every node output whose name
matches ``pattern`` (inputs too with ``monitor_all``), then for every argument and
auxiliary state that matches.
"""

import logging
import math
import re

from . import ndarray
from .ndarray import NDArray

__all__ = ["Monitor"]


def _norm_over_sqrt_size(x):
    """MXNet's default statistic: ``norm(x) / sqrt(x.size)``."""
    return ndarray.norm(x) / math.sqrt(x.size)


class Monitor:
    """Collect a statistic of tensors every ``interval`` batches.

    Parameters
    ----------
    interval : int
        Batches between two collections.
    stat_func : callable, optional
        ``NDArray -> NDArray`` (or a list of NDArrays); default ``norm(x)/sqrt(x.size)``.
    pattern : str
        Regular expression (``re.match``) selecting the tensor names to monitor, e.g.
        ``'.*weight|.*output'``.
    sort : bool
        Sort the results by name.
    monitor_all : bool
        Monitor the inputs of each operator as well as its outputs.
    """

    def __init__(self, interval, stat_func=None, pattern=".*", sort=False, monitor_all=False):
        self.stat_func = _norm_over_sqrt_size if stat_func is None else stat_func
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

    def stat_helper(self, name, array):
        """The executor's callback: queue the statistic of ``array`` while collecting."""
        if not self.activated or not self.re_prog.match(name):
            return
        self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe):
        """Register on ``exe`` (an Executor); several executors may share one monitor."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start collecting for this batch if it is one of every ``interval``; call
        before the forward."""
        if self.step % self.interval == 0:
            self._wait_for_arrays()
            self.queue = []
            self.activated = True
        self.step += 1

    def _wait_for_arrays(self):
        for exe in self.exes:
            for array in exe.arg_arrays + exe.aux_arrays:
                array.wait_to_read()

    def toc(self):
        """Stop collecting; add the arguments and auxiliary states, and return
        ``[(batch, name, text)]`` where text holds the statistic's values, each followed
        by a tab (a scalar for a one-element result, else the printed array)."""
        if not self.activated:
            return []
        self._wait_for_arrays()
        for exe in self.exes:
            for named in (exe.arg_dict, exe.aux_dict):  # in list_arguments() order
                for name, array in named.items():
                    if self.re_prog.match(name):
                        self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda x: x[1])
        res = []
        for step, name, values in self.queue:
            if isinstance(values, NDArray):
                values = [values]
            assert isinstance(values, list)
            text = ""
            for v in values:
                assert isinstance(v, NDArray)
                text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + "\t"
            res.append((step, name, text))
        self.queue = []
        return res

    def toc_print(self):
        """``toc()`` and log each result at INFO as MXNet does."""
        for step, name, text in self.toc():
            logging.info("Batch: %7d %-30s %s", step, name, text)
