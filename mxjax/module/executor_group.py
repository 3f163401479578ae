"""``DataParallelExecutorGroup``: one bound Executor per context, each fed a slice of
the batch, as MXNet 1.9.1's Module runs data parallelism.

The group owns no computation: every forward and backward is the Executor's (one cached
compiled function per graph, shape and mode). What it adds is bookkeeping: which slice
of the batch goes to which executor, the per-context lists of parameter, gradient and
auxiliary arrays that the Module's update walks, and merging the executors' outputs.
"""

import logging
import re
from collections import OrderedDict

from .. import ndarray as nd
from ..context import cpu
from ..io import DataDesc

__all__ = ["DataParallelExecutorGroup", "split_input_slice"]


def split_input_slice(batch_size, work_load_list):
    """The slice of a batch of ``batch_size`` examples each device gets, in proportion to
    ``work_load_list``; ``ValueError`` when some slice would be empty."""
    total = sum(work_load_list)
    sizes = [round(load * batch_size / total) for load in work_load_list]
    if sum(sizes) < batch_size:
        sizes[-1] += batch_size - sum(sizes)
    slices, end = [], 0
    for size in sizes:
        begin = int(min(end, batch_size))
        end = int(min(begin + size, batch_size))
        if begin >= end:
            raise ValueError("Too many slices. Some splits are empty.")
        slices.append(slice(begin, end))
    return slices


def _from_buffer(buffer, name, array):
    """The array for input ``name`` shared through ``buffer`` (name -> NDArray): a view of
    the buffer's array when it holds enough elements of the same dtype, else ``array``,
    which the buffer keeps from now on."""
    held = buffer.get(name)
    if held is not None and held.dtype == array.dtype and held.size >= array.size:
        if held.shape == array.shape:
            return held
        flat = held.reshape((-1,))
        return (flat if flat.size == array.size else flat[:array.size]).reshape(array.shape)
    buffer[name] = array
    return array


def _allocated_bytes(exe):
    """The memory MXNet's executor reports for ``exe`` (its debug_str's total, in MB
    as there)."""
    found = re.search(r"Total (\d+) MB allocated", exe.debug_str())
    return int(found.group(1)) if found else 0


def _load_general(sources, targets, major_axis):
    """Copy each source array into its targets: the whole array, or each device's slice
    along the batch axis."""
    for src, dsts, axis in zip(sources, targets, major_axis):
        if isinstance(dsts, nd.NDArray):
            src.copyto(dsts)
        elif isinstance(src, (list, tuple)):  # pre-sliced: one source per device
            for s, d in zip(src, dsts):
                s.copyto(d)
        else:
            for islice, dst in dsts:
                whole = islice.start == 0 and src.shape[axis] == islice.stop
                if axis < 0 or whole:
                    src.copyto(dst)
                elif axis == 0:
                    src[islice.start:islice.stop].copyto(dst)
                else:
                    nd.slice_axis(src, axis=axis, begin=islice.start,
                                  end=islice.stop).copyto(dst)


def _load(batch, targets, major_axis, field):
    if isinstance(batch, list):  # one DataBatch per device
        sources = [[getattr(b, field)[i] for b in batch] for i in range(len(targets))]
        targets = [[dst for _, dst in t] for t in targets]
        _load_general(sources, targets, major_axis)
    else:
        _load_general(getattr(batch, field), targets, major_axis)


def _merge_multi_context(outputs, major_axis):
    """Per-device lists of arrays joined along their batch axis (or the first device's
    array where there is none)."""
    merged = []
    for tensors, axis in zip(outputs, major_axis):
        if axis >= 0 and len(tensors) > 1:
            ctx = tensors[0].context
            merged.append(nd.concat(*[t.as_in_context(ctx) for t in tensors], dim=axis))
        else:
            merged.append(tensors[0])
    return merged


def _prepare_group2ctxs(group2ctxs, ctx_len):
    """``group2ctxs`` as one (dict or None) entry per device."""
    if group2ctxs is None:
        return [None] * ctx_len
    if isinstance(group2ctxs, list):
        assert len(group2ctxs) == ctx_len, f"length of group2ctxs should be {ctx_len}"
        return group2ctxs
    if isinstance(group2ctxs, dict):
        ret = [{} for _ in range(ctx_len)]
        for key, value in group2ctxs.items():
            ctxs = value if isinstance(value, (list, tuple)) else [value]
            if len(ctxs) == 1:
                ctxs = list(ctxs) * ctx_len
            assert len(ctxs) == ctx_len, f"length of group2ctxs[{key}] should be {ctx_len} or 1"
            for i in range(ctx_len):
                ret[i][key] = ctxs[i]
        return ret
    raise AssertionError("group2ctxs should be list of dict of str to context, or dict of "
                         "str to context or list of context")


class DataParallelExecutorGroup:
    """Executors of one symbol on several contexts, splitting each batch between them.

    Parameters
    ----------
    symbol : Symbol
        The network.
    contexts : list of Context
        One executor per context.
    workload : list of float
        Share of the batch of each context.
    data_shapes, label_shapes : list of DataDesc or (name, shape)
        The inputs, with the whole batch.
    param_names : list of str
        Arguments that are parameters (updated by the optimizer).
    for_training : bool
        Whether gradients are needed.
    inputs_need_grad : bool
        Whether the data inputs get gradients too.
    shared_group : DataParallelExecutorGroup, optional
        A group whose parameter, gradient and auxiliary arrays these executors use.
    fixed_param_names : list of str, optional
        Parameters that get no gradient.
    grad_req : str, list or dict
        Gradient requirement, for all parameters or by argument.
    state_names : list of str, optional
        Arguments that are states set by the user (``set_states``).
    group2ctxs : dict or list, optional
        Contexts of the ``ctx_group``s: their variables' arrays live there (each
        executor still runs its graph as one program on its own context).
    """

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, logger=logging,
                 fixed_param_names=None, grad_req="write", state_names=None, group2ctxs=None):
        self.param_names = param_names
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.group2ctxs = _prepare_group2ctxs(group2ctxs, len(contexts))
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self._total_exec_bytes = 0
        self.fixed_param_names = list(fixed_param_names or [])
        self.state_names = list(state_names or [])

        data_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in data_shapes]
        if label_shapes is not None:
            label_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in label_shapes]
        self.grad_req = self._grad_reqs("null" if not for_training else grad_req,
                                        [x.name for x in data_shapes])

        self.batch_size = None
        self.slices = None
        self.execs = []
        self._default_execs = None
        # per context: input name -> array, shared by the groups of all buckets
        self.shared_data_arrays = (shared_group.shared_data_arrays if shared_group is not None
                                   else [{} for _ in contexts])
        self.data_arrays = self.label_arrays = self.param_arrays = None
        self.state_arrays = self.grad_arrays = self.aux_arrays = None
        self.input_grad_arrays = None
        self.data_shapes = self.label_shapes = None
        self.data_names = self.label_names = None
        self.data_layouts = self.label_layouts = None
        self.output_names = symbol.list_outputs()
        self.num_outputs = len(self.output_names)
        self.output_layouts = [DataDesc.get_batch_axis(symbol[i].attr("__layout__"))
                               for i in range(self.num_outputs)]
        self.bind_exec(data_shapes, label_shapes, shared_group)

    def _grad_reqs(self, grad_req, data_names):
        """``grad_req`` for every argument: parameters (but fixed ones) get it, data only
        with ``inputs_need_grad``, labels and states never; a dict overrides by name."""
        if isinstance(grad_req, (list, tuple)):
            assert len(grad_req) == len(self.arg_names)
            return dict(zip(self.arg_names, grad_req))
        if not isinstance(grad_req, (str, dict)):
            raise ValueError("grad_req must be one of str, list, tuple, or dict.")
        default = grad_req if isinstance(grad_req, str) else "write"
        reqs = {}
        for name in self.arg_names:
            if name in self.param_names:
                reqs[name] = "null" if name in self.fixed_param_names else default
            elif name in data_names:
                reqs[name] = default if self.inputs_need_grad else "null"
            else:
                reqs[name] = "null"
        if isinstance(grad_req, dict):
            reqs.update(grad_req)
        return reqs

    # ---- binding ------------------------------------------------------------------------------
    def decide_slices(self, data_shapes):
        """Batch axis of each input; sets ``batch_size`` and the per-device ``slices``."""
        assert len(data_shapes) > 0
        major_axis = [DataDesc.get_batch_axis(x.layout) for x in data_shapes]
        for desc, axis in zip(data_shapes, major_axis):
            if axis == -1:
                continue
            batch_size = desc.shape[axis]
            if self.batch_size is None:
                self.batch_size = batch_size
                self.slices = split_input_slice(batch_size, self.workload)
            else:
                assert batch_size == self.batch_size, (
                    f"all data must have the same batch size: batch_size = {self.batch_size}, "
                    f"but {desc.name} has shape {desc.shape}")
        return major_axis

    def bind_exec(self, data_shapes, label_shapes, shared_group=None, reshape=False):
        """Bind (or, with ``reshape``, reshape) one executor per context."""
        assert reshape or not self.execs
        self.batch_size = None
        self.data_layouts = self.decide_slices(data_shapes)
        if label_shapes is not None:
            self.label_layouts = self.decide_slices(label_shapes)
        for i in range(len(self.contexts)):
            data_i = self._sliced_shape(data_shapes, i, self.data_layouts)
            label_i = ([] if label_shapes is None else
                       self._sliced_shape(label_shapes, i, self.label_layouts))
            if reshape:
                shapes = {d.name: d.shape for d in data_i + label_i}
                self.execs[i] = self._default_execs[i].reshape(allow_up_sizing=True, **shapes)
            else:
                self.execs.append(self._bind_ith_exec(i, data_i, label_i, shared_group))
        self.data_shapes = data_shapes
        self.label_shapes = label_shapes
        self.data_names = [d.name for d in data_shapes]
        if label_shapes is not None:
            self.label_names = [d.name for d in label_shapes]
        self._collect_arrays()

    def _bind_ith_exec(self, i, data_shapes, label_shapes, shared_group):
        shapes = {d.name: d.shape for d in data_shapes + list(label_shapes or [])}
        attrs = self.symbol.attr_dict()
        # MXNet: a data variable declared with a dtype keeps it over the DataDesc's dtype.
        types = {d.name: d.dtype for d in data_shapes
                 if attrs.get(d.name, {}).get("__dtype__", "-1") == "-1"}
        types.update({d.name: d.dtype for d in label_shapes or []})
        exe = self.symbol.simple_bind(ctx=self.contexts[i], grad_req=self.grad_req,
                                      type_dict=types, shared_arg_names=self.param_names,
                                      group2ctx=self.group2ctxs[i], **shapes)
        exe = self._share_arrays(exe, self.contexts[i],
                                 None if shared_group is None else shared_group.execs[i],
                                 self.shared_data_arrays[i])
        self._total_exec_bytes += _allocated_bytes(exe)
        return exe

    def _share_arrays(self, exe, ctx, shared, buffer):
        """``exe`` rebound, as MXNet's ``simple_bind(shared_exec=, shared_buffer=)``
        binds: parameters (and their gradients) and auxiliary states are ``shared``'s
        arrays where shapes and dtypes agree, so that both executors see every update;
        every other argument (data, labels, a bucket's own parameters) comes from
        ``buffer``, the arrays all buckets share -- a view of the buffer's array when
        that is large enough, else a new array that replaces it there."""
        def fits(mine, theirs):
            return (theirs is not None and mine is not None and theirs.shape == mine.shape
                    and theirs.dtype == mine.dtype)

        args = list(exe.arg_arrays)
        grads = list(exe.grad_arrays or [None] * len(args))
        aux = list(exe.aux_arrays)
        for k, name in enumerate(self.arg_names):
            if name not in self.param_names:
                args[k] = _from_buffer(buffer, name, args[k])
            elif shared is not None:
                if fits(args[k], shared.arg_dict.get(name)):
                    args[k] = shared.arg_dict[name]
                if fits(grads[k], (shared.grad_dict or {}).get(name)):
                    grads[k] = shared.grad_dict[name]
        if shared is not None:
            aux = [shared.aux_dict[n] if fits(a, shared.aux_dict.get(n)) else a
                   for n, a in zip(self.aux_names, aux)]
        if (all(a is b for a, b in zip(args, exe.arg_arrays))
                and all(a is b for a, b in zip(aux, exe.aux_arrays))
                and all(a is b for a, b in zip(grads, exe.grad_arrays or grads))):
            return exe
        return self.symbol.bind(ctx, args, None if exe.grad_arrays is None else grads,
                                self.grad_req, aux)

    def _sliced_shape(self, shapes, i, major_axis):
        sliced = []
        for desc, axis in zip(shapes, major_axis):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = self.slices[i].stop - self.slices[i].start
            sliced.append(DataDesc(desc.name, tuple(shape), desc.dtype, desc.layout))
        return sliced

    def _collect_arrays(self):
        execs = self.execs
        self.data_arrays = [[(self.slices[i], e.arg_dict[d.name]) for i, e in enumerate(execs)]
                            for d in self.data_shapes]
        self.state_arrays = [[e.arg_dict[name] for e in execs] for name in self.state_names]
        self.label_arrays = None if self.label_shapes is None else [
            [(self.slices[i], e.arg_dict[d.name]) for i, e in enumerate(execs)]
            for d in self.label_shapes]
        params = [i for i, name in enumerate(self.arg_names) if name in self.param_names]
        self.param_arrays = [[e.arg_arrays[i] for e in execs] for i in params]
        self.grad_arrays = None
        if self.for_training:
            self.grad_arrays = [[(e.grad_arrays or [None] * len(self.arg_names))[i]
                                 for e in execs] for i in params]
        self.input_grad_arrays = None
        if self.inputs_need_grad:
            self.input_grad_arrays = [[e.grad_dict[d.name] for e in execs]
                                      for d in self.data_shapes if d.name in self.arg_names]
        self.aux_arrays = [[e.aux_arrays[i] for e in execs] for i in range(len(self.aux_names))]

    def reshape(self, data_shapes, label_shapes):
        """Reshape the executors for new input shapes (parameters are kept)."""
        if data_shapes == self.data_shapes and label_shapes == self.label_shapes:
            return
        if self._default_execs is None:
            self._default_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    # ---- parameters ---------------------------------------------------------------------------
    def set_params(self, arg_params, aux_params, allow_extra=False):
        """Copy parameter values into every executor."""
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the devices' parameters (averaged over the devices) into the given dicts."""
        for names, blocks, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                value = block[0].copyto(cpu()) if len(block) == 1 else \
                    sum(w.copyto(cpu()) for w in block) / len(block)
                value.astype(target[name].dtype).copyto(target[name])

    # ---- running ------------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Load the batch into the executors and run their forward."""
        _load(data_batch, self.data_arrays, self.data_layouts, "data")
        if is_train is None:
            is_train = self.for_training
        first = data_batch[0] if isinstance(data_batch, list) else data_batch
        if self.label_arrays is not None and first is not None and first.label:
            _load(data_batch, self.label_arrays, self.label_layouts, "label")
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def backward(self, out_grads=None):
        """Run each executor's backward with its slice of ``out_grads``."""
        assert self.for_training, "re-bind with for_training=True to run backward"
        out_grads = [] if out_grads is None else out_grads
        if isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        for i, (exe, islice) in enumerate(zip(self.execs, self.slices)):
            mine = []
            for grad, axis in zip(out_grads, self.output_layouts):
                if axis >= 0 and len(self.execs) > 1:
                    grad = nd.slice_axis(grad, axis=axis, begin=islice.start, end=islice.stop)
                mine.append(grad.as_in_context(self.contexts[i]))
            exe.backward(out_grads=mine or None)

    def get_output_shapes(self):
        """``[(name, shape)]`` of the outputs, for the whole batch."""
        shapes = []
        for name, out, axis in zip(self.output_names, self.execs[0].outputs,
                                   self.output_layouts):
            shape = list(out.shape)
            if axis >= 0:
                shape[axis] = self.batch_size
            shapes.append((name, tuple(shape)))
        return shapes

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        """Outputs ``begin:end`` of the last forward: merged over devices, or per device."""
        end = self.num_outputs if end is None else end
        outputs = [[exe.outputs[i] for exe in self.execs] for i in range(begin, end)]
        return _merge_multi_context(outputs, self.output_layouts[begin:end]) \
            if merge_multi_context else outputs

    def get_states(self, merge_multi_context=True):
        """The state arrays, per device."""
        assert not merge_multi_context, \
            "merge_multi_context=True is not supported for get_states yet."
        return self.state_arrays

    def set_states(self, states=None, value=None):
        """Set the states from per-device arrays ``states``, or all to the scalar ``value``."""
        if states is not None:
            assert value is None, "Only one of states & value can be specified."
            _load_general(states, self.state_arrays, (0,) * len(states))
            return
        assert value is not None, "At least one of states & value must be specified."
        for per_device in self.state_arrays:
            for dst in per_device:
                dst[:] = value

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs."""
        assert self.inputs_need_grad
        if merge_multi_context:
            return _merge_multi_context(self.input_grad_arrays, self.data_layouts)
        return self.input_grad_arrays

    def update_metric(self, eval_metric, labels, pre_sliced):
        """Update ``eval_metric`` with each device's outputs and its slice of ``labels``."""
        for k, (exe, islice) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                mine = labels[k]
            else:
                mine = []
                for label, axis in zip(labels, self.label_layouts):
                    if axis == 0:
                        mine.append(label[islice])
                    elif axis > 0:
                        mine.append(nd.slice_axis(label, axis=axis, begin=islice.start,
                                                  end=islice.stop))
                    else:
                        mine.append(label)
            eval_metric.update_dict(OrderedDict(zip(self.label_names or [], mine)),
                                    OrderedDict(zip(self.output_names, exe.outputs)))

    def install_monitor(self, mon):
        """Install ``mon`` (an ``mx.monitor.Monitor``) on every executor."""
        for exe in self.execs:
            mon.install(exe)
