"""``gluon.Trainer``: applies an optimizer to a set of Parameters.

``step`` updates every parameter in one compiled function: the weights, gradients and
optimizer states go in as pytrees, the learning rates, weight decays and
``rescale_grad = 1 / batch_size`` as traced numbers (so a schedule never recompiles), the
weight and state buffers are donated, and the results are written back into the same
NDArrays (which stay the autograd variables of the Parameters).

With several contexts, gradients are summed across them (as MXNet's kvstore does), the
first context's copy is updated, and the result is copied to the others; with
``kvstore=None`` every context is updated from its own gradient instead.
"""

import os

import jax

from .. import optimizer as opt
from ..ndarray import serialization
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]


class Trainer:
    """Applies an Optimizer to a set of Parameters (use with ``autograd``).

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        The parameters to optimise (a dict is taken in sorted key order, as in MXNet).
    optimizer : str or Optimizer
        The optimizer, or its registered name.
    optimizer_params : dict
        Arguments of the optimizer's constructor (``learning_rate``, ``wd``, ...).
    kvstore : str or None
        'device' (default) or 'local' sum gradients across contexts; None does not.
    compression_params : dict
        Accepted for compatibility (gradient compression is not applied).
    update_on_kvstore : bool, optional
        Accepted; with several contexts True (MXNet's default there) forbids calling
        ``allreduce_grads``/``update`` directly, as in MXNet.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device",
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params)}.")
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(param)}.")
            self._param2idx[param.name] = i
            self._params.append(param)
            param._trainer = self
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params if optimizer_params else {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kvstore = kvstore if kvstore and len(self._contexts or ()) > 1 else None
        self._update_on_kvstore = None
        if self._kvstore is not None:
            env = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
            self._update_on_kvstore = env if update_on_kvstore is None else update_on_kvstore
        self._kv_initialized = True
        self._params_to_init = []

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            assert contexts is None or contexts == ctx, \
                (f"All Parameters must be initialized on the same set of contexts, but "
                 f"Parameter {param.name} is initialized on {ctx} while previous Parameters "
                 f"are initialized on {contexts}.")
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            assert not optimizer_params, \
                ("optimizer_params must be None if optimizer is an instance of Optimizer "
                 "instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict  # not copied: lr_mult changes apply
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts or [None]]

    # ---- learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self):
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate can be "
                              "accessed.")
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        if isinstance(self._optimizer, opt.Optimizer):
            return self._optimizer
        raise UserWarning("Optimizer has not been initialized yet")

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate (without an lr_scheduler)."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate is "
                              "mutated.")
        self._optimizer.set_learning_rate(lr)

    # ---- steps -----------------------------------------------------------------------------
    def _check_and_rescale_grad(self, scale):
        self._optimizer.rescale_grad = scale

    def step(self, batch_size, ignore_stale_grad=False):
        """Reduce the gradients across contexts, then update every parameter, with the
        gradients scaled by ``1 / batch_size``.

        A parameter whose gradient backward has not written since the last step raises
        (MXNet's stale-gradient UserWarning), unless ``ignore_stale_grad``, which skips it.
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each parameter's gradients across contexts (call before ``update``)."""
        assert not (self._kvstore and self._update_on_kvstore), \
            ("allreduce_grads() when parameters are updated on kvstore is not supported. "
             "Try setting `update_on_kvstore` to False when creating trainer.")
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """Update the parameters from their (reduced) gradients; see ``step``."""
        assert not (self._kvstore and self._update_on_kvstore), \
            ("update() when parameters are updated on kvstore is not supported. Try setting "
             "`update_on_kvstore` to False when creating trainer.")
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        for param in self._params:
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            total = grads[0]._data
            for g in grads[1:]:
                total = total + g.as_in_context(grads[0].context)._data
            for g in grads:
                g._set_data(_on(total, g))

    def _update(self, ignore_stale_grad=False):
        updates = [[] for _ in self._updaters]
        for param in self._params:  # check them all first: nothing is left half-done
            if param.grad_req == "null" or ignore_stale_grad:
                continue
            for data in param._check_and_get(param._data, list):
                if not data._fresh_grad:
                    raise UserWarning(
                        f"Gradient of Parameter `{param.name}` on context {data.context} has "
                        "not been updated by backward since last `step`. This could mean a "
                        "bug in your model that made it only use a subset of the Parameters "
                        "(Blocks) for this iteration. If you are intentionally only using a "
                        "subset, call step with ignore_stale_grad=True to suppress this "
                        "warning and skip updating of Parameters with stale gradient")
        broadcast = []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas, grads = param.list_data(), param.list_grad()
            fresh = [d._fresh_grad for d in datas]
            for d in datas:
                d._fresh_grad = False
            if self._kvstore:  # one update, then copies (MXNet's update on the kvstore)
                if fresh[0] or not ignore_stale_grad:
                    updates[0].append((i, grads[0], datas[0]))
                    broadcast.append(datas)
                continue
            for upd, arr, grad, is_fresh in zip(updates, datas, grads, fresh):
                if is_fresh or not ignore_stale_grad:
                    upd.append((i, grad, arr))
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater._update(list(indices), list(grads), list(weights), donate=True)
        for datas in broadcast:
            for d in datas[1:]:
                d._set_data(_on(datas[0]._data, d))

    # ---- states ------------------------------------------------------------------------------
    def save_states(self, fname):
        """Save the optimizer and its states (momentum, ...) to ``fname``, in the pickle
        format MXNet 1.9.1's ``Trainer.load_states`` reads too."""
        assert self._optimizer is not None
        payload = self._updaters[0].get_states(dump_optimizer=True)
        serialization._write_atomically(os.fspath(fname), payload)

    def load_states(self, fname):
        """Load what ``save_states`` (mxjax's or MXNet's) wrote; the saved optimizer,
        learning rate included, replaces the current one."""
        with open(fname, "rb") as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))


def _on(value, target):
    """``value`` placed on the device of NDArray ``target``."""
    device = target.context.jax_device
    return value if device in value.devices() else jax.device_put(value, device)
