"""``Module``: a Symbol trained with an optimizer, MXNet 1.9.1's intermediate-level API.

A Module is bookkeeping around Executors (one per context, in a
``DataParallelExecutorGroup``) and an optimizer ``Updater``: ``forward`` and
``backward`` are the executors' compiled graph functions, ``update`` hands every
parameter with a gradient to the updater in one call, which applies the optimizer to all
of them as one compiled function. With several devices or a ``dist_*`` store, the
gradients go through a KVStore as in MXNet (keyed by parameter name; with
``update_on_kvstore`` the store runs the optimizer). The Module keeps its own copy of the
parameters (``get_params``), synchronised from the devices when they changed.
"""

import logging
import warnings

from .. import context as ctx
from .. import kvstore as kvs
from .. import model
from .. import ndarray as nd
from .. import optimizer as opt
from .._files import write_atomically
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import load_checkpoint
from .base_module import BaseModule, _check_input_names, _parse_data_desc
from .executor_group import DataParallelExecutorGroup

__all__ = ["Module"]


def _storage_type(var_attrs):
    """The storage type a variable declares (``var(stype=...)``), as its attribute holds
    it: 1 row_sparse, 2 csr."""
    return {"1": "row_sparse", "2": "csr"}.get(var_attrs.get("__storage_type__"), "default")


def _with_grads(param_arrays, grad_arrays, param_names):
    """``(names, grads, weights)`` of the parameters that have gradients."""
    rows = [(param_names[i], grads, weights)
            for i, (weights, grads) in enumerate(zip(param_arrays, grad_arrays))
            if grads[0] is not None]
    return tuple(map(list, zip(*rows))) if rows else ([], [], [])


def _initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Give the store every parameter, by name; with ``update_on_kvstore`` every device
    gets the store's value (rank 0's, across workers)."""
    for name, arrays in zip(param_names, param_arrays):
        if update_on_kvstore and arg_params[name].stype == "default":
            kvstore.broadcast(name, arg_params[name], out=arrays)
        else:
            kvstore.init(name, arg_params[name])


def _update_params(param_arrays, grad_arrays, updater, num_device, kvstore, param_names):
    """One optimizer step per device: (with a store, after replacing each gradient by
    its sum over the devices and workers) every (index, grad, weight) of a device goes to
    ``updater`` in one call, index being ``param_position * num_device + device`` as in
    MXNet."""
    if kvstore is not None:
        names, grads, _ = _with_grads(param_arrays, grad_arrays, param_names)
        if names:
            kvs.kvstore.pushpull_all(kvstore, names, grads, grads,
                                     [-i for i in range(len(names))])
    updates = [[] for _ in range(num_device)]
    for i, (weights, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        for k, (w, g) in enumerate(zip(weights, grads)):
            updates[k].append((i * num_device + k, g, w))
    for device_updates in updates:
        if device_updates:
            indices, grads, weights = zip(*device_updates)
            updater(list(indices), list(grads), list(weights))


def _update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """The store sums each parameter's gradients (over devices and workers), runs the
    optimizer on its copy, and every device gets the result; the gradients are left as
    backward wrote them."""
    names, grads, weights = _with_grads(param_arrays, grad_arrays, param_names)
    if names:
        kvs.kvstore.pushpull_all(kvstore, names, grads, weights,
                                 [-i for i in range(len(names))])


class Module(BaseModule):
    """A module over a Symbol: bind it to executors, initialize and update its parameters.

    Parameters
    ----------
    symbol : Symbol
        The network.
    data_names : list of str
        Names of the data inputs.
    label_names : list of str
        Names of the label inputs (None or empty for none).
    logger : Logger
    context : Context or list of Context
        Devices; each gets a slice of every batch.
    work_load_list : list of number, optional
        Share of the batch of each device (default: equal).
    fixed_param_names : list of str, optional
        Parameters that are not updated (no gradient).
    state_names : list of str, optional
        Arguments holding states that the user sets (``set_states``).
    group2ctxs : dict or list, optional
        Model-parallel placement of ``ctx_group`` attributes.
    compression_params : dict, optional
        Gradient compression settings of the KVStore (``set_gradient_compression``).
    """

    def __init__(self, symbol, data_names=("data",), label_names=("softmax_label",),
                 logger=logging, context=ctx.cpu(),  # noqa: B008 - MXNet's default
                 work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None):
        super().__init__(logger=logger)
        if isinstance(context, ctx.Context):
            context = [context]
        self._context = context
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        assert len(work_load_list) == len(self._context)
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._symbol = symbol

        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names(symbol, data_names, "data", True)
        _check_input_names(symbol, label_names, "label", False)
        _check_input_names(symbol, state_names, "state", True)
        _check_input_names(symbol, fixed_param_names, "fixed_param", True)

        input_names = data_names + label_names + state_names
        self._param_names = [x for x in symbol.list_arguments() if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()

        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._compression_params = compression_params
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ---- checkpoints --------------------------------------------------------------------------
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module from the checkpoint ``prefix`` at ``epoch`` (see ``save_checkpoint``);
        ``kwargs`` go to the constructor. Bind it before use; with
        ``load_optimizer_states`` the states of ``prefix-%04d.states`` are restored by
        ``init_optimizer``."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._preload_params(args, auxs)
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{epoch:04d}.states"
        return mod

    def _preload_params(self, arg_params, aux_params):
        """Take ``arg_params`` / ``aux_params`` as this (not yet bound) Module's
        parameters; ``bind`` copies them to the executors."""
        self._arg_params = arg_params
        self._aux_params = aux_params
        self.params_initialized = True

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Save ``prefix-symbol.json``, ``prefix-%04d.params`` and, optionally, the
        optimizer states in ``prefix-%04d.states``."""
        self._symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
        param_name = f"{prefix}-{epoch:04d}.params"
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = f"{prefix}-{epoch:04d}.states"
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # ---- names and shapes ---------------------------------------------------------------------
    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    @property
    def data_names(self):
        """Names of the data inputs."""
        return self._data_names

    @property
    def label_names(self):
        """Names of the label inputs."""
        return self._label_names

    @property
    def output_names(self):
        """Names of the outputs."""
        return self._output_names

    @property
    def data_shapes(self):
        """DataDesc of each data input."""
        assert self.binded
        return self._data_shapes

    @property
    def label_shapes(self):
        """DataDesc of each label input (None when bound without labels)."""
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs, for the whole batch."""
        assert self.binded
        return self._exec_group.get_output_shapes()

    # ---- parameters ---------------------------------------------------------------------------
    def get_params(self):
        """``(arg_params, aux_params)``, copied from the devices if they changed."""
        assert self.params_initialized
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None,  # noqa: B008 - MXNet's
                    aux_params=None, allow_missing=False, force_init=False, allow_extra=False):
        """Initialize parameters and auxiliary states, in sorted-name order.

        Values found in ``arg_params`` / ``aux_params`` are copied; the others are drawn
        by ``initializer``, called with an ``InitDesc`` carrying the variable's attributes
        (so a variable's ``init=`` and the name suffix decide the rule). Missing values
        without ``allow_missing`` raise RuntimeError.
        """
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "init_params call ignored.", stacklevel=2)
            return
        assert self.binded, "call bind before initializing the parameters"

        def _impl(desc, arr, cache):
            if cache is None:
                initializer(desc, arr)
            elif desc in cache:
                if cache[desc] is not arr:
                    cache[desc].copyto(arr)
            else:
                if not allow_missing:
                    raise RuntimeError(f"{desc} is not presented")
                if initializer is not None:
                    initializer(desc, arr)

        attrs = self._symbol.attr_dict()
        for params, given in ((self._arg_params, arg_params), (self._aux_params, aux_params)):
            for name, arr in sorted(params.items()):
                _impl(InitDesc(name, attrs.get(name, None)), arr, given)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Assign parameter values; with ``allow_missing`` the given values go straight
        to the devices and the others keep theirs."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True  # the Module's copy is refreshed from the devices
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # ---- binding ------------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind executors for the given input shapes.

        Parameters
        ----------
        data_shapes : list of DataDesc or (name, shape)
        label_shapes : list of DataDesc or (name, shape), optional
        for_training : bool
            Whether ``backward`` will run (gradient arrays are allocated).
        inputs_need_grad : bool
            Whether the data inputs get gradients.
        force_rebind : bool
            Bind again even if already bound.
        shared_module : Module, optional
            A bound, initialized Module whose parameters (and optimizer) this one shares.
        grad_req : str, list or dict
            'write', 'add' or 'null', for all parameters or by name.
        """
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        if not for_training:
            assert not inputs_need_grad
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)

        shared_group = None
        if shared_module is not None:
            assert isinstance(shared_module, Module) and shared_module.binded and \
                shared_module.params_initialized
            shared_group = shared_module._exec_group
            assert len(shared_group.execs) >= len(self._context)

        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group, logger=self.logger, fixed_param_names=self._fixed_param_names,
            grad_req=grad_req, group2ctxs=self._group2ctxs, state_names=self._state_names)
        self._total_exec_bytes = self._exec_group._total_exec_bytes
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # parameters were loaded (Module.load) or set before a rebind
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            assert self._arg_params is None and self._aux_params is None
            attrs = self._symbol.attr_dict()
            self._arg_params = {
                name: nd.zeros(block[0].shape, dtype=block[0].dtype,
                               stype=_storage_type(attrs.get(name, {})))
                for name, block in zip(self._param_names, self._exec_group.param_arrays)}
            self._aux_params = {name: nd.zeros(block[0].shape, dtype=block[0].dtype)
                                for name, block in zip(self._aux_names,
                                                       self._exec_group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Reshape the bound executors for new input shapes."""
        assert self.binded
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ---- optimizer ----------------------------------------------------------------------------
    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Create the optimizer (a name with ``optimizer_params``, or an Optimizer) and its
        Updater.

        A named optimizer gets ``rescale_grad = 1 / batch_size`` unless given, the
        symbol (for ``__lr_mult__`` / ``__wd_mult__`` attributes) and the parameter names,
        so that only ``*_weight`` and ``*_gamma`` parameters are decayed.
        """
        assert self.binded and self.params_initialized
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()

        num_device = len(self._context)
        kvstore, update_on_kvstore = model.create_kvstore(
            kvstore, num_device, [a.shape for a in self._arg_params.values()])
        batch_size = self._exec_group.batch_size
        if kvstore and "dist" in kvstore.type and "_sync" in kvstore.type:
            batch_size *= kvstore.num_workers
        rescale_grad = 1.0 / batch_size
        param_names = self._exec_group.param_names
        if update_on_kvstore:
            idx2name = dict(enumerate(param_names))
        else:
            idx2name = {i * num_device + k: n for k in range(num_device)
                        for i, n in enumerate(param_names)}
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            optimizer_params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self.symbol, param_idx2name=idx2name,
                                   **optimizer_params)
        else:
            assert isinstance(optimizer, opt.Optimizer)
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn(
                    "Optimizer created manually outside Module but rescale_grad is not "
                    f"normalized to 1.0/batch_size/num_workers ({optimizer.rescale_grad} vs. "
                    f"{rescale_grad}). Is this intended?", stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()

        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            _initialize_kvstore(kvstore, self._exec_group.param_arrays, self._arg_params,
                                param_names, update_on_kvstore)
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer and updater (as for bucketing)."""
        assert shared_module.optimizer_initialized
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname):
        """Write the optimizer states (the Updater's ``get_states`` bytes, the store's
        when it runs the optimizer) to ``fname``."""
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
            return
        write_atomically(fname, self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Restore optimizer states written by ``save_optimizer_states``."""
        assert self.optimizer_initialized
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        with open(fname, "rb") as fin:
            self._updater.set_states(fin.read())

    # ---- computation --------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Forward computation on ``data_batch`` (a DataBatch, or a list of them, one per
        device); the executors are reshaped first when the batch's shapes differ."""
        assert self.binded and self.params_initialized
        current = tuple(d.shape for d in self._data_shapes)
        if isinstance(data_batch, list):
            assert data_batch is not None, "Encountered empty data batch"
            new_shapes = []
            for i in range(len(data_batch[0].data)):
                shape = data_batch[0].data[i].shape
                for batch in data_batch:
                    assert shape == batch.data[i].shape, \
                        "All data batches in a list need to have the same shape"
                new_shapes.append((len(data_batch) * shape[0],) + shape[1:])
            new_shapes = tuple(new_shapes)
        else:
            new_shapes = tuple(d.shape for d in data_batch.data)
        if current != new_shapes:
            self.reshape(*self._new_descs(data_batch, new_shapes))
        self._exec_group.forward(data_batch, is_train)

    def _new_descs(self, data_batch, new_shapes):
        if getattr(data_batch, "provide_data", None):
            data = data_batch.provide_data
        else:
            data = [DataDesc(d.name, shape, d.dtype, d.layout)
                    for d, shape in zip(self._data_shapes, new_shapes)]
        if getattr(data_batch, "provide_label", None):
            label = data_batch.provide_label
        elif getattr(data_batch, "label", None):
            label = [DataDesc(d.name, array.shape, d.dtype, d.layout)
                     for d, array in zip(self._label_shapes, data_batch.label)]
        else:
            label = None
        return data, label

    def backward(self, out_grads=None):
        """Backward computation (head gradients ``out_grads`` for non-loss outputs)."""
        assert self.binded and self.params_initialized
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Apply the optimizer to every parameter with a gradient."""
        assert self.binded and self.params_initialized and self.optimizer_initialized
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            _update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                      group.param_names)
        else:
            _update_params(group.param_arrays, group.grad_arrays, self._updater,
                           len(self._context), self._kvstore, group.param_names)

    def get_outputs(self, merge_multi_context=True):
        """Outputs of the last forward (merged over devices, or a list per output of
        per-device arrays)."""
        assert self.binded and self.params_initialized
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        assert self.binded and self.params_initialized and self.inputs_need_grad
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        """The state arrays (per device)."""
        assert self.binded and self.params_initialized
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the states from arrays, or all of them to the scalar ``value``."""
        assert self.binded and self.params_initialized
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the last outputs and ``labels``."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` (``mx.monitor.Monitor``, or anything with ``install(executor)``)
        on the executors."""
        assert self.binded
        self._exec_group.install_monitor(mon)

    def prepare(self, data_batch, sparse_row_id_fn=None):  # noqa: ARG002
        """Prepare for a batch; parameters are dense and updated in place, so there is
        nothing to pull."""
        assert self.binded
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning("Parameters are not updated in the KVStore. "
                                      "No need to call sparse_row_id_fn."), stacklevel=2)
