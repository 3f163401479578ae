"""``mx.model``: checkpoints in MXNet's file format and the batch-callback record.

A checkpoint under ``prefix`` is ``prefix-symbol.json`` (the graph) plus
``prefix-%04d.params`` (an ``nd.save`` dictionary whose keys are ``arg:<name>`` for
arguments and ``aux:<name>`` for auxiliary states), the files MXNet 1.9.1 writes and
reads, so checkpoints move both ways between the two libraries.
"""

import logging
import os
from collections import namedtuple

import numpy as np

from . import ndarray as nd
from . import symbol as sym
from .context import cpu
from .ndarray import utils as nd_utils

__all__ = ["BatchEndParam", "save_checkpoint", "load_params", "load_checkpoint",
           "create_kvstore"]

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])
BatchEndParam.__doc__ = """What a batch-end (or score-end) callback receives: the epoch,
the batch number, the evaluation metric and the caller's ``locals()``."""


def _params_dict(arg_params, aux_params):
    save_dict = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    return save_dict


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and ``prefix-%04d.params``.

    Parameters
    ----------
    prefix : str
        Path prefix of the files.
    epoch : int
        Epoch number, part of the parameter file's name.
    symbol : Symbol or None
        The network.
    arg_params : dict of str to NDArray
        Arguments (weights, biases ...), saved as ``arg:<name>``.
    aux_params : dict of str to NDArray
        Auxiliary states, saved as ``aux:<name>``.
    remove_amp_cast : bool
        Accepted for MXNet compatibility (mxjax graphs hold no AMP casts).
    """
    save_dict = _params_dict(arg_params, aux_params)
    graph = [] if symbol is None else [(f"{prefix}-symbol.json", symbol.tojson(remove_amp_cast))]
    param_name = f"{prefix}-{epoch:04d}.params"
    nd_utils.save_with(param_name, save_dict, graph)
    logging.info('Saved checkpoint to "%s"', param_name)


def _split_params(save_dict):
    """``(arg_params, aux_params)`` from a dictionary with ``arg:``/``aux:`` keys; keys of
    another kind are ignored."""
    arg_params, aux_params = {}, {}
    for key, value in save_dict.items():
        kind, _, name = key.partition(":")
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` read from ``prefix-%04d.params``."""
    fname = f"{prefix}-{epoch:04d}.params"
    save_dict = nd.load(fname)
    if not save_dict:
        logging.warning("Params file '%s' is empty", fname)
        return {}, {}
    return _split_params(save_dict)


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of the checkpoint ``prefix`` at ``epoch``.

    Reads ``prefix-symbol.json`` and ``prefix-%04d.params`` as MXNet writes them.
    """
    symbol = sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


def create_kvstore(kvstore, num_device, arg_shapes):
    """``(store or None, update_on_kvstore)`` for a Trainer's or Module's ``kvstore``
    argument (a store, its type name or None), as MXNet chooses them: no store for one
    device of one machine; update on the store unless ``MXNET_UPDATE_ON_KVSTORE=0`` or a
    'local' store would hold a parameter of more than 16M elements (``arg_shapes``), and
    only if the store can run an optimizer."""
    from . import kvstore as kvs

    update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None  # one device, one machine: nothing to reduce
        else:
            kv = kvs.create(kvstore)
            # MXNet updates big weights on the devices, not in 'local''s CPU store
            if kvstore == "local" and max(map(np.prod, arg_shapes)) > 1024 * 1024 * 16:
                update_on_kvstore = False
    elif isinstance(kvstore, kvs.KVStoreBase):
        kv = kvstore
    else:
        raise TypeError("kvstore must be KVStore, str or None")
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable("optimizer")
