"""The Optimizer base class, its registry, and the Updater that keeps optimizer states.

An MXNet update has a Python part (count the update, ask the schedule for the learning
rate, apply ``lr_mult``/``wd_mult``, Adam's bias correction...) and an array part (the
update operator). mxjax keeps that split explicit: ``_hyper``/``_prepare`` do the Python
part and return plain numbers, and the class's pure ``_step`` does the array part. Every
update, one weight through ``Optimizer.update`` or all of them through the ``Updater``
(and so ``gluon.Trainer``), runs the ``_step`` of each weight inside one compiled
function whose numbers are traced arguments (see ``_fused``): a schedule that changes the
learning rate never recompiles.
"""

import warnings

import jax.numpy as jnp
import numpy as np

from ..base import MXNetError
from ..ndarray import ndarray as _nd
from ..operator.optimizer_ops import param
from . import _fused, _pickle

__all__ = ["Optimizer", "Updater", "get_updater", "create", "register"]

FLOAT16 = np.dtype(np.float16)


class Optimizer:
    """The base class of all optimizers.

    Parameters
    ----------
    rescale_grad : float
        Multiply the gradient by this before updating (``1 / batch_size`` in a Trainer).
    param_idx2name : dict of int to str
        Names of the weights; weights whose name does not end with ``_weight`` or
        ``_gamma`` get no weight decay.
    wd : float
        Weight decay (L2 regularisation) coefficient.
    clip_gradient : float, optional
        Clip the gradient into ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        Initial learning rate (0.01 without a scheduler); overrides the scheduler's.
    lr_scheduler : LRScheduler, optional
        Learning rate schedule.
    sym : Symbol, optional
        Symbol whose ``__lr_mult__``/``__wd_mult__`` attributes give multipliers.
    begin_num_update : int
        Initial update count.
    multi_precision : bool
        Keep float32 master copies of float16 weights and update those.
    param_dict : dict of int to Parameter
        Parameters by index, for their ``lr_mult`` and ``wd_mult`` (set by Trainer).
    """

    opt_registry = {}
    # The array part of one update of one weight, a pure function:
    # _step(static, weight, grad, state, hyper, key) -> (new weight, new state), where
    # static = self._static(aggregated), hyper = one dict from _prepare (traced scalars)
    # and key a PRNG key when _random is set.
    _step = None
    _random = False
    # Where a float16 weight's float32 master copy sits in its multi-precision state.
    _master_first = True

    def __init__(self, rescale_grad=1.0, param_idx2name=None, wd=0.0, clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if self.lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if self.lr_scheduler is not None and learning_rate is not None:
            if self.lr_scheduler.base_lr != learning_rate:
                # MXNet prints this warning instead of raising it through warnings
                print(UserWarning("learning rate from ``lr_scheduler`` has been overwritten "
                                  "by ``learning_rate`` in optimizer."))
                self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        assert isinstance(param_idx2name, dict), \
            "param_idx2name should be a dict of param indexes to names."
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---- registry ----------------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased name (for ``create``)."""
        assert isinstance(klass, type)
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is "
                          f"overriding existing optimizer {old.__module__}.{old.__name__}",
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as ``name`` (case-insensitive)."""
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError(f"Cannot find optimizer {name}")

    # ---- learning rate and multipliers ---------------------------------------------------
    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate; not allowed when a scheduler sets it."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note "
                              "that set_learning_rate can mutate the value of the learning "
                              "rate of the optimizer only when the LRScheduler of the "
                              "optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        """[Deprecated] use set_lr_mult."""
        raise DeprecationWarning

    def _sym_mults(self, key):
        mults = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and key in attr[name]:
                    mults[name] = float(attr[name][key])
        return mults

    def set_lr_mult(self, args_lr_mult):
        """Learning rate multipliers by weight index or name."""
        self.lr_mult = self._sym_mults("__lr_mult__")
        self.lr_mult.update(args_lr_mult)

    def _no_decay(self, name):
        return not (name.endswith("_weight") or name.endswith("_gamma"))

    def set_wd_mult(self, args_wd_mult):
        """Weight decay multipliers by weight index or name (0 for names that are not
        weights or gammas)."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if self._no_decay(n)}
        self.wd_mult.update(self._sym_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _update_count(self, index):
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _scheduled_lr(self):
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr

    def _mults(self, indices, base, attr, table):
        values = [base for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                values[i] *= getattr(self.param_dict[index], attr)
            elif index in table:
                values[i] *= table[index]
            elif index in self.idx2name:
                values[i] *= table.get(self.idx2name[index], 1.0)
        return values

    def _get_lrs(self, indices):
        return self._mults(indices, self._scheduled_lr(), "lr_mult", self.lr_mult)

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        return self._mults(indices, self.wd, "wd_mult", self.wd_mult)

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # ---- states ----------------------------------------------------------------------------
    def create_state(self, index, weight):
        """The state (None, an NDArray or a tuple of them) kept for one weight."""

    def create_state_multi_precision(self, index, weight):
        """create_state, plus a float32 master copy for a float16 weight."""
        if self.multi_precision and np.dtype(weight.dtype) == FLOAT16:
            master = weight.astype(np.float32)
            inner = self.create_state(index, master)
            return (master, inner) if self._master_first else (inner, master)
        if np.dtype(weight.dtype) == FLOAT16:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          "or slow convergence. Consider using multi_precision=True option "
                          f"of the {type(self).__name__} optimizer", stacklevel=2)
        return self.create_state(index, weight)

    # ---- updates ---------------------------------------------------------------------------
    def update(self, index, weight, grad, state):
        """Update ``weight`` (and ``state``) in place from ``grad``."""
        if self._step is None:
            raise NotImplementedError()
        self._run(index, weight, grad, state, mp=False)

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, through the float32 master copy for float16 weights."""
        first = weight[0] if isinstance(weight, (list, tuple)) else weight
        use_mp = self._use_mp(first, state)
        if self._fusable():
            self._run(index, weight, grad, state, mp=use_mp)
        elif use_mp:
            master, inner = state if self._master_first else state[::-1]
            self.update(index, master, grad.astype(np.float32), inner)
            weight._set_data(master._data.astype(weight._data.dtype))
        else:
            self.update(index, weight, grad, state)

    def _use_mp(self, weight, state):
        return self.multi_precision and np.dtype(weight.dtype) == FLOAT16

    def _lazy(self, weight, grad, state, mp, hyper):  # noqa: ARG002 - for the subclasses
        """Whether this update changes only the rows a row_sparse ``grad`` stores, weight
        and states alike (MXNet's lazy update, as the storage rule of the optimizer's update
        operator decides). ``state`` is the optimizer's own state (inside the master copy's
        with ``mp``). By default an update is dense, as MXNet's storage fallback makes it."""
        return False

    def _inner_state(self, state, mp):
        """The optimizer's own state (without a float16 weight's float32 master copy)."""
        if not mp:
            return state
        return state[1] if self._master_first else state[0]

    def _fusable(self):
        """Whether updates can run as the compiled ``_step`` (not for subclasses that
        write their own ``update``)."""
        cls = type(self)
        return (cls._step is not None and cls.update is Optimizer.update
                and cls.update_multi_precision is Optimizer.update_multi_precision)

    def _run(self, index, weight, grad, state, mp):
        aggregated = isinstance(index, (list, tuple))
        indices, weights, grads, states = ((list(index), list(weight), list(grad), list(state))
                                           if aggregated else
                                           ([index], [weight], [grad], [state]))
        hypers = self._prepare(indices, weights, aggregated)
        _fused.apply(self, weights, grads, states, hypers, [mp] * len(weights), aggregated)

    def _prepare(self, indices, weights, aggregated):
        """The Python part of one MXNet update call over ``indices``: one dict of numbers
        per weight (learning rate, weight decay, ...), counting the updates."""
        return [self._hyper(i, w) for i, w in zip(indices, weights)]

    def _hyper(self, index, weight):
        raise NotImplementedError()

    def _static(self, aggregated):
        """Settings compiled into ``_step`` (hashable)."""
        return ()

    @classmethod
    def _mp_step(cls, static, weight, grad, state, hyper, key):
        """``_step`` on the float32 master copy of a float16 weight."""
        master, inner = state if cls._master_first else state[::-1]
        new_master, inner = cls._step(static, master, grad.astype(np.float32), inner, hyper,
                                      key)
        new_state = (new_master, inner) if cls._master_first else (inner, new_master)
        return new_master.astype(weight.dtype), new_state

    def _clip_or_off(self):
        """clip_gradient for an update operator: MXNet passes it only when truthy."""
        return float(self.clip_gradient) if self.clip_gradient else -1.0

    def _clip_python(self):
        """clip_gradient for updates written with NDArray ops (clipping when not None)."""
        return -1.0 if self.clip_gradient is None else float(self.clip_gradient)

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["param_dict"]  # MXNet: the Trainer sets it again
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


class Updater:
    """Applies an optimizer to indexed weights and keeps their states (``kvstore``'s
    updater, and Gluon Trainer's)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        """Update ``weight`` (one NDArray or a list, with ``index`` an int or a list)."""
        self._update(index, grad, weight)

    def _update(self, index, grad, weight):
        many = isinstance(index, (list, tuple))
        indices = list(index) if many else [index]
        grads = list(grad) if many else [grad]
        weights = list(weight) if many else [weight]
        opt = self.optimizer
        if weights:
            opt._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = opt.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx],
                                                           weights[i].context)
                self.states_synced[idx] = True
        calls = list(self._calls(indices, weights, grads))
        if not opt._fusable():
            for idx, w, g, aggregated in calls:
                states = [self.states[i] for i in idx]
                if aggregated:
                    opt.update_multi_precision(idx, w, g, states)
                else:
                    opt.update_multi_precision(idx[0], w[0], g[0], states[0])
            return
        # MXNet's calls, for their Python side effects in MXNet's order; then the array
        # work of all of them as one compiled function.
        entries = [[], [], [], [], []]
        for idx, w, g, aggregated in calls:
            states = [self.states[i] for i in idx]
            mp = opt._use_mp(w[0], states[0])
            for column, values in zip(entries, (w, g, states, opt._prepare(idx, w, aggregated),
                                                [mp] * len(w))):
                column.extend(values)
        if entries[0]:
            _fused.apply(opt, *entries, aggregated=bool(calls and calls[0][3]))

    def _calls(self, indices, weights, grads):
        """The (indices, weights, grads, aggregated) of each update call MXNet's Updater
        makes: weights grouped by dtype in chunks of ``aggregate_num``, or one by one."""
        if not self.aggregate_updates:
            for item in zip(indices, weights, grads):
                yield [item[0]], [item[1]], [item[2]], False
            return
        by_dtype = {}
        for item in zip(indices, weights, grads):
            by_dtype.setdefault(np.dtype(item[1].dtype), []).append(item)
        size = self.optimizer.aggregate_num
        for items in by_dtype.values():
            for start in range(0, len(items), size):
                idx, w, g = zip(*items[start:start + size])
                yield list(idx), list(w), list(g), True

    def sync_state_context(self, state, context):
        """``state`` moved to ``context``."""
        if isinstance(state, _nd.NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = (self.sync_state_context(s, context) for s in state)
            return tuple(synced) if isinstance(state, tuple) else list(synced)
        return state

    def set_states(self, states):
        """Set the states from ``get_states`` bytes (MXNet's pickle format)."""
        states = _pickle.loads(states)
        optimizer = self.optimizer
        if isinstance(states, tuple) and len(states) == 2:
            states, optimizer = states
        if not isinstance(states, dict) or not isinstance(optimizer, Optimizer):
            raise MXNetError("set_states: not optimizer states (expected a dict of states, "
                             f"or a (states, Optimizer) pair; got {type(states).__name__})")
        self.states, self.optimizer = states, optimizer
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """The states (and the optimizer, with ``dump_optimizer``) as bytes MXNet 1.9.1
        can read with ``set_states`` too."""
        return _pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """An ``Updater`` for ``optimizer``."""
    return Updater(optimizer)


def typed(hyper, dtype, *names):
    """Numbers of ``hyper`` as an update operator receives them (float32, then ``dtype``)."""
    return [param(hyper[n], dtype) for n in names]


def scalars(hyper, dtype, *names):
    """Numbers of ``hyper`` as NDArray-scalar arithmetic uses them (cast to ``dtype``)."""
    return [jnp.asarray(hyper[n]).astype(dtype) for n in names]


def zeros(shape, ctx, dtype=None, stype=None):
    """A zero state array (float32 unless ``dtype``, MXNet's default), of storage type
    ``stype`` (MXNet makes lazily updated states row_sparse for a row_sparse weight)."""
    return _nd.zeros(shape, ctx, dtype=dtype, stype=stype)


def is_row_sparse(*arrays):
    """Whether every array is row_sparse."""
    return all(getattr(a, "stype", None) == "row_sparse" for a in arrays)


def stype_of(array):
    """The storage type of an array ('default' for anything without one)."""
    return getattr(array, "stype", "default")


def copy_of(weight):
    """A copy of ``weight`` with its own buffer (a state that is donated with it)."""
    return _nd.NDArray(jnp.array(weight._data, copy=True), weight.context)
