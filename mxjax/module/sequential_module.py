"""``SequentialModule``: modules chained so that each one's outputs are the next one's
data, trained together (the backward pass hands each module's input gradients to the
module before it)."""

import copy
import logging

from ..initializer import Uniform
from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules; ``add`` appends one.

    Meta keywords of ``add``: ``take_labels=True`` gives the module the batch's labels
    (any module of the chain may take them); ``auto_wiring=True`` renames the previous
    module's outputs to this module's data names.
    """

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append ``module`` (with meta keywords, see the class); returns ``self`` so
        calls chain. The chain must be bound and initialized again afterwards."""
        self._modules.append(module)
        for key in kwargs:
            assert key in self._meta_keys, f'Unknown meta "{key}", a typo?'
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    def _takes_labels(self, i):
        return bool(self._metas[i].get(self.META_TAKE_LABELS, False))

    # ---- names and shapes ---------------------------------------------------------------------
    @property
    def data_names(self):
        """The first module's data names."""
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        """The last module's output names."""
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        """The first module's data shapes."""
        assert self.binded
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        """The label shapes given to ``bind`` (None when no module takes labels)."""
        assert self.binded
        return self._label_shapes

    @property
    def output_shapes(self):
        """The last module's output shapes."""
        assert self.binded
        return self._modules[-1].output_shapes

    # ---- parameters ---------------------------------------------------------------------------
    def get_params(self):
        """The parameters of all the modules, merged into ``(arg_params, aux_params)``."""
        assert self.binded and self.params_initialized
        arg_params, aux_params = {}, {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None,  # noqa: B008 - MXNet's
                    aux_params=None, allow_missing=False, force_init=False, allow_extra=False):
        """Initialize every module's parameters; two modules may not have a parameter
        of the same name (AssertionError)."""
        if self.params_initialized and not force_init:
            return
        assert self.binded, "call bind before initializing the parameters"
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=allow_extra)

        def check_names(known, names, layer):
            for name in names:
                assert name not in known, (
                    f'Duplicated parameter names: name "{name}" in layer {layer} '
                    f"({type(self._modules[layer])}) is already used in layer {known[name]} "
                    f"({type(self._modules[known[name]])}).")
                known[name] = layer

        arg_names, aux_names = {}, {}
        for layer, module in enumerate(self._modules):
            arg, aux = module.get_params()
            check_names(arg_names, arg.keys(), layer)
            check_names(aux_names, aux.keys(), layer)
        self.params_initialized = True

    # ---- setup --------------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind each module in turn on the previous one's output shapes; every module
        but the first computes input gradients when training."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if inputs_need_grad:
            assert for_training is True
        assert shared_module is None, "Shared module is not supported"
        assert len(self._modules) > 0, "Attempting to bind an empty SequentialModule"

        self.binded = True
        # MXNet 1.9.1 leaves these False, so its get_input_grads always fails the assert
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes
        my_data_shapes = data_shapes
        anybody_needs_label = False
        for layer, module in enumerate(self._modules):
            if self._takes_labels(layer):
                my_label_shapes = label_shapes
                anybody_needs_label = True
            else:
                my_label_shapes = None
            my_inputs_need_grad = bool(inputs_need_grad or (for_training and layer > 0))
            if self._metas[layer].get(self.META_AUTO_WIRING, False):
                data_names = module.data_names
                assert len(data_names) == len(my_data_shapes)
                my_data_shapes = [(new_name, shape) for new_name, (_, shape)
                                  in zip(data_names, my_data_shapes)]
            module.bind(data_shapes=my_data_shapes, label_shapes=my_label_shapes,
                        for_training=for_training, inputs_need_grad=my_inputs_need_grad,
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            my_data_shapes = module.output_shapes
        if not anybody_needs_label:
            self._label_shapes = None

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Set up the optimizer of every module."""
        assert self.binded and self.params_initialized
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    # ---- computation --------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Forward through the chain, each module's outputs becoming the next's data."""
        assert self.binded and self.params_initialized
        data_batch = copy.copy(data_batch)
        for layer, module in enumerate(self._modules):
            module.forward(data_batch, is_train=is_train)
            if layer + 1 == len(self._modules):
                break
            data_batch.data = module.get_outputs()
            if hasattr(data_batch, "provide_data"):
                data_names = [x[0] for x in module.output_shapes]
                assert len(data_names) == len(data_batch.data)
                data_batch.provide_data = [(name, x.shape) for name, x in
                                           zip(data_names, data_batch.data)]

    def backward(self, out_grads=None):
        """Backward from the last module to the first, passing input gradients down."""
        assert self.binded and self.params_initialized
        for layer in reversed(range(len(self._modules))):
            module = self._modules[layer]
            module.backward(out_grads=out_grads)
            if layer == 0:
                break
            out_grads = module.get_input_grads()

    def update(self):
        """Update every module's parameters."""
        assert self.binded and self.params_initialized and self.optimizer_initialized
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        """The last module's outputs."""
        assert self.binded and self.params_initialized
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The first module's input gradients."""
        assert self.binded and self.params_initialized and self.inputs_need_grad
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the outputs of each module that takes labels."""
        assert self.binded and self.params_initialized
        for layer, module in enumerate(self._modules):
            if self._takes_labels(layer):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every module."""
        assert self.binded
        for module in self._modules:
            module.install_monitor(mon)
