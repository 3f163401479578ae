"""``gluon.Trainer``: applies an optimizer to a set of Parameters.

``step`` updates every parameter in one compiled function: the weights, gradients and
optimizer states go in as pytrees, the learning rates, weight decays and
``rescale_grad = 1 / batch_size`` as traced numbers (so a schedule never recompiles), and
the results are written back into the same NDArrays (which stay the autograd variables of
the Parameters); XLA updates the buffers they replace in place where nothing else holds
them (``engine.step``).

With several contexts, a store (``kvstore='device'`` or ``'local'``, created at the first
step, as in MXNet) sums the gradients across contexts; with ``update_on_kvstore`` (the
default, or ``MXNET_UPDATE_ON_KVSTORE``) it also runs the optimizer, once, and copies the
result to every context; otherwise every context's updater applies the summed gradient
to its own copy. With one context, or ``kvstore=None``, there is no store and every
context is updated from its own gradient.
"""



from .. import kvstore as kvs
from .. import model
from .. import optimizer as opt
from .._files import write_atomically
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]


def _create_sparse_kvstore(kvstore):
    """The store of a Trainer with row_sparse weights: always one, running the optimizer
    (it keeps the full weights; the parameters hold the rows last pulled)."""
    if isinstance(kvstore, str):
        kv = kvs.create(kvstore)
    elif isinstance(kvstore, kvs.KVStore):
        kv = kvstore
    else:
        raise TypeError(f"Cannot create '{kvstore}' KVStore with row_sparse parameters. The "
                        "type must be KVStore or str.")
    assert kv.is_capable("optimizer"), \
        ("KVStore with sparse weight requires optimizer support. However, type(kv) does not "
         "support optimizer. Please consider other kvstore backends (e.g. dist_device) "
         "instead.")
    return kv, True


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
    kvstore : str, KVStore or None
        'device' (default) or 'local' sum gradients across contexts; None does not.
    compression_params : dict
        Gradient compression for the store (``{'type': '2bit', 'threshold': 0.5}``; a
        'device' store only, as in MXNet), set when the store is created.
    update_on_kvstore : bool, optional
        Whether the store runs the optimizer (then ``allreduce_grads``/``update`` may
        not be called directly). None: ``MXNET_UPDATE_ON_KVSTORE`` (default 1).
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device",
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params)}.")
        self._params = []
        self._contains_sparse_weight = self._contains_sparse_grad = False
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(param)}.")
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
            self._contains_sparse_weight |= param._stype != "default"
            self._contains_sparse_grad |= param._grad_stype != "default"
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params if optimizer_params else {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._distributed = None
        self._params_to_init = []
        self._reset_kvstore()

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

    # ---- the store ---------------------------------------------------------------------------
    def _reset_kvstore(self):
        """Drop the store (a new one, with fresh optimizer states, comes at the next step):
        MXNet does this when parameters updated on the store are set or loaded."""
        if self._kvstore and "dist" in self._kvstore.type:
            raise RuntimeError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        """Create the store and decide ``update_on_kvstore``, as MXNet does."""
        config = self._kvstore_params
        if self._contains_sparse_weight:
            kvstore, update_on_kvstore = _create_sparse_kvstore(config["kvstore"])
            self._distributed = "dist" in kvstore.type
            if config["update_on_kvstore"] is False:
                raise ValueError("Cannot set update_on_kvstore=False when sparse weights are "
                                 "present.")
        else:
            arg_shapes = [param.data(self._contexts[0]).shape for param in self._params]
            kvstore, update_on_kvstore = model.create_kvstore(
                config["kvstore"], len(self._contexts or [None]), arg_shapes)
            self._distributed = "dist" in kvstore.type if kvstore else False
            if self._contains_sparse_grad:
                update_on_kvstore = self._distributed
            if config["update_on_kvstore"] is not None:
                update_on_kvstore = config["update_on_kvstore"]
        if kvstore is not None and update_on_kvstore and not kvstore.is_capable("optimizer"):
            if config["update_on_kvstore"]:
                raise ValueError(f"Please set update_on_kvstore=False when training with "
                                 f"{type(kvstore)}")
            update_on_kvstore = False
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore, self._update_on_kvstore = kvstore, update_on_kvstore
        else:
            self._kvstore, self._update_on_kvstore = None, None
        self._kv_initialized = True

    def _init_params(self):
        """Give the store the parameters it has not seen (every context's copy becomes the
        first context's); parameters still waiting for their shape stay pending."""
        assert self._kv_initialized, \
            "Cannot initialize parameters in KVStore when KVStore is not initialized."
        pending = []
        if self._kvstore:
            for param in self._params_to_init:
                if param._deferred_init:
                    pending.append(param)
                    continue
                arrays = param._check_and_get(param._data, list)
                if param._stype != "default":  # the store keeps the full sparse weight
                    self._kvstore.init(self._param2idx[param.name], arrays[0])
                else:
                    self._kvstore.broadcast(self._param2idx[param.name], arrays[0], arrays)
        self._params_to_init = pending

    def _row_sparse_pull(self, parameter, out, row_id, full_idx=False):
        """Write the rows ``row_id`` of a row_sparse parameter, as the store holds it, into
        ``out`` (an array or a list of them; all rows with ``full_idx``)."""
        self._ready()
        idx = self._param2idx[parameter.name]
        if full_idx and "dist" not in self._kvstore.type:
            self._kvstore.pull(idx, out=out, priority=-idx, ignore_sparse=False)
        else:
            self._kvstore.row_sparse_pull(idx, out=out, row_ids=row_id, priority=-idx)

    def _ready(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

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
        (MXNet's stale-gradient UserWarning) before anything changes, unless
        ``ignore_stale_grad``, which skips it.
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._ready()
        self._check_stale(ignore_stale_grad)
        if self._kvstore and self._update_on_kvstore:
            self._update_on_store(ignore_stale_grad)
            return
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each parameter's gradients across contexts (call before ``update``)."""
        self._ready()
        assert not (self._kvstore and self._update_on_kvstore), \
            ("allreduce_grads() when parameters are updated on kvstore is not supported. "
             "Try setting `update_on_kvstore` to False when creating trainer.")
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """Update the parameters from their (reduced) gradients; see ``step``."""
        self._ready()
        assert not (self._kvstore and self._update_on_kvstore), \
            ("update() when parameters are updated on kvstore is not supported. Try setting "
             "`update_on_kvstore` to False when creating trainer.")
        self._check_and_rescale_grad(self._scale / batch_size)
        self._check_stale(ignore_stale_grad)
        self._update(ignore_stale_grad)

    def _trained(self):
        return [(i, p) for i, p in enumerate(self._params) if p.grad_req != "null"]

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        dense = []
        for i, param in self._trained():
            grads = param.list_grad()
            if grads[0].stype == "default":
                dense.append((i, grads))
                continue
            self._kvstore.push(i, grads, priority=-i)  # sparse: push, then pull (MXNet's)
            if param._stype == "default":
                self._kvstore.pull(i, grads, priority=-i, ignore_sparse=self._distributed)
        if dense:
            keys = [i for i, _ in dense]
            kvs.kvstore.pushpull_all(self._kvstore, keys, [g for _, g in dense], None,
                                     [-k for k in keys])

    def _check_stale(self, ignore_stale_grad):
        """Raise before any update if a gradient was not refreshed by backward."""
        if ignore_stale_grad:
            return
        for _, param in self._trained():
            for data in param._check_and_get(param._data, list):
                if not data._fresh_grad:
                    raise UserWarning(
                        f"Gradient of Parameter `{param.name}` on context {data.context} has "
                        "not been updated by backward since last `step`. This could mean a "
                        "bug in your model that made it only use a subset of the Parameters "
                        "(Blocks) for this iteration. If you are intentionally only using a "
                        "subset, call step with ignore_stale_grad=True to suppress this "
                        "warning and skip updating of Parameters with stale gradient")

    def _update_on_store(self, ignore_stale_grad):
        """The store sums each parameter's gradients and updates it (the gradients
        themselves are left as backward wrote them)."""
        keys, grads, datas = [], [], []
        for i, param in self._trained():
            arrays = param._check_and_get(param._data, list)
            fresh = arrays[0]._fresh_grad
            for d in arrays:
                d._fresh_grad = False
            if not (fresh or not ignore_stale_grad):
                continue
            if param._stype != "default":  # updated in the store; pulled by row_sparse_data
                self._kvstore.push(i, param.list_grad(), priority=-i)
                continue
            keys.append(i)
            grads.append(param.list_grad())
            datas.append(arrays)
        if keys:
            kvs.kvstore.pushpull_all(self._kvstore, keys, grads, datas, [-k for k in keys])

    def _update(self, ignore_stale_grad=False):
        updates = [[] for _ in self._updaters]
        for i, param in self._trained():
            for upd, arr, grad in zip(updates, param.list_data(), param.list_grad()):
                if arr._fresh_grad or not ignore_stale_grad:
                    upd.append((i, grad, arr))
                arr._fresh_grad = False
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater._update(list(indices), list(grads), list(weights))

    # ---- states ------------------------------------------------------------------------------
    def save_states(self, fname):
        """Save the optimizer and its states (momentum, ...) to ``fname``, in the pickle
        format MXNet 1.9.1's ``Trainer.load_states`` reads too."""
        assert self._optimizer is not None
        self._ready()
        if self._update_on_kvstore:
            assert not self._params_to_init, \
                "Cannot save trainer states when some parameters are not yet initialized in " \
                "kvstore."
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        payload = self._updaters[0].get_states(dump_optimizer=True)
        write_atomically(fname, payload)

    def load_states(self, fname):
        """Load what ``save_states`` (mxjax's or MXNet's) wrote; the saved optimizer,
        learning rate included, replaces the current one."""
        self._ready()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as f:
                states = f.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
