"""Base classes of the recurrent cells and the sequence helpers ``unroll`` uses
(split from ``rnn_cell.py``, which re-exports the public names)."""

from ... import ndarray as nd
from ... import symbol as sym
from ...base import string_types
from ...symbol import Symbol
from ..block import Block, HybridBlock
from ..nn import LeakyReLU

__all__ = ["RecurrentCell", "HybridRecurrentCell"]

_TENSORS = (nd.NDArray, Symbol)


# ---- sequence helpers (also used by gluon.contrib.rnn) ------------------------------------
def _as_list(x):
    """A list of arrays: a list's items, a Symbol's outputs, or ``[x]``."""
    return list(x) if isinstance(x, (list, tuple, Symbol)) else [x]


def _get_F(x):
    """``mx.sym`` for a Symbol (or a list starting with one), else ``mx.nd``."""
    first = x[0] if isinstance(x, (list, tuple)) and x else x
    return sym if isinstance(first, Symbol) else nd


def _cells_state_info(cells, batch_size):
    return sum((c.state_info(batch_size) for c in cells), [])


def _cells_begin_state(cells, **kwargs):
    return sum((c.begin_state(**kwargs) for c in cells), [])


def _symbol_zeros_like_batch(x, batch_axis):
    """A ``begin_state`` ``func`` for Symbols: zeros whose unknown (0) batch dimension is
    the size of ``x``'s axis ``batch_axis``.

    MXNet 1.9.1 makes ``_zeros`` of shape ``(0, hidden)`` and lets ``infer_shape`` fill the
    0 backwards from the consumers; mxjax's graphs infer shapes forward, so the batch size
    is taken from the input with ``broadcast_like`` (an operator MXNet has too, so exported
    graphs still load there).
    """

    def zeros(shape, name=None, dtype=None, **kwargs):
        unknown = [i for i, d in enumerate(shape) if d == 0]
        if len(unknown) != 1:
            return sym.zeros(shape=shape, dtype=dtype, name=name, **kwargs)
        one = sym.zeros(shape=tuple(d or 1 for d in shape), dtype=dtype)
        return sym.broadcast_like(one, x, lhs_axes=tuple(unknown), rhs_axes=(batch_axis,),
                                  name=name)

    return zeros


def _get_begin_state(cell, F, begin_state, inputs, batch_size, layout="NTC"):
    """``begin_state`` or, when None, zeros: on the inputs' context (NDArrays) or sized
    after the inputs' batch axis (Symbols; ``layout`` places it in a merged input)."""
    if begin_state is not None:
        return begin_state
    if F is sym:
        x, axis = (inputs, layout.find("N")) if isinstance(inputs, Symbol) else (inputs[0], 0)
        return cell.begin_state(func=_symbol_zeros_like_batch(x, axis), batch_size=0)
    ctx = inputs.context if isinstance(inputs, nd.NDArray) else inputs[0].context
    with ctx:
        return cell.begin_state(func=nd.zeros, batch_size=batch_size)


def _format_sequence(length, inputs, layout, merge, in_layout=None):
    """``(inputs, time axis, F, batch size)``: one array (merge True) or a list of
    per-step arrays (merge False); ``merge=None`` keeps whichever form ``inputs`` has. The
    batch size is 0 (unknown) for Symbols."""
    if inputs is None:
        raise AssertionError("unroll(inputs=None) has been deprecated. Please create input "
                             "variables outside unroll.")
    axis, batch_axis = layout.find("T"), layout.find("N")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    batch_size = 0
    if isinstance(inputs, Symbol):
        F = sym
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise AssertionError("unroll doesn't allow grouped symbol as input. Please "
                                     "convert to list with list(inputs) first or let unroll "
                                     "handle splitting.")
            inputs = list(sym.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=1))
    elif isinstance(inputs, nd.NDArray):
        F = nd
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            if length is not None and length != inputs.shape[in_axis]:
                raise AssertionError(f"unroll: length={length} but the inputs have "
                                     f"{inputs.shape[in_axis]} steps along axis {in_axis}")
            inputs = _as_list(nd.split(inputs, axis=in_axis, num_outputs=inputs.shape[in_axis],
                                       squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise AssertionError(f"unroll: length={length} but {len(inputs)} inputs given")
        F = _get_F(inputs)
        if F is nd:
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, _TENSORS) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _mask_sequence_variable_length(F, data, length, valid_length, time_axis, merge):
    """Zero the steps past each sequence's ``valid_length``."""
    if not isinstance(data, _TENSORS):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                             axis=time_axis)
    if not merge:
        outputs = _as_list(F.split(outputs, num_outputs=length, axis=time_axis,
                                   squeeze_axis=True))
    return outputs


def _reverse_sequences(sequences, unroll_step, valid_length=None):
    """Per-step list reversed in time (within each sequence's valid length if given)."""
    if valid_length is None:
        return list(reversed(sequences))
    F = _get_F(sequences)
    rev = F.SequenceReverse(F.stack(*sequences, axis=0), sequence_length=valid_length,
                            use_sequence_length=True)
    return _as_list(F.split(rev, axis=0, num_outputs=unroll_step, squeeze_axis=True))


def _check_unmodified(cell):
    if cell._modified:
        raise AssertionError("After applying modifier cells (e.g. ZoneoutCell) the base cell "
                             "cannot be called directly. Call the modifier cell instead.")


# ---- base classes ------------------------------------------------------------------------
class RecurrentCell(Block):
    """Abstract base class of recurrent cells.

    Parameters
    ----------
    prefix : str, optional
        Prefix of the cell's name (and of its parameters' names when ``params`` is None).
    params : ParameterDict, optional
        Parameters to share with another cell.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Reset the step counters before reusing the cell for another sequence."""
        self._init_counter = -1
        self._counter = -1
        # Only child cells: MXNet 1.9.1 also resets a LeakyReLU activation and fails.
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def state_info(self, batch_size=0):
        """Shape and layout of each state, as a list of dicts."""
        raise NotImplementedError()

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states, each made by ``func(name=..., shape=..., __layout__=...,
        **kwargs)`` (``nd.zeros`` by default).

        Parameters
        ----------
        batch_size : int
            Size of the batch axis (0, unknown, for Symbols).
        func : callable
            Creates one state: ``nd.zeros``, ``nd.ones``, ``nd.random.uniform``, ... or, for
            the Symbol API, ``sym.zeros``, ``sym.var`` (states fed as inputs), ...
        **kwargs
            Passed on to ``func`` (``dtype``, ``ctx``, ``low``, ...).
        """
        _check_unmodified(self)
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {}, **kwargs)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}", **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` steps.

        Parameters
        ----------
        length : int
            Number of steps.
        inputs : NDArray, Symbol or list of them
            One array shaped by ``layout`` or a list of ``length`` per-step arrays.
        begin_state : list of NDArray or Symbol, optional
            Initial states (``begin_state()`` zeros when None).
        layout : {'NTC', 'TNC'}
            Layout of ``inputs`` (and of merged outputs).
        merge_outputs : bool, optional
            True: one array; False: a list of per-step outputs; None: whichever is natural.
        valid_length : NDArray or Symbol, optional
            Per-sequence lengths (batch,): the states returned are the last valid ones and
            outputs past a sequence's length are zero.

        Returns
        -------
        outputs, states
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [F.SequenceLast(F.stack(*step_states, axis=0),
                                     sequence_length=valid_length, use_sequence_length=True,
                                     axis=0)
                      for step_states in zip(*all_states)]
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        """Apply ``activation``: a name, a ``LeakyReLU`` block or a callable."""
        func = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid,
                "softsign": F.softsign}.get(activation)
        if func:
            return func(inputs, **kwargs)
        if isinstance(activation, string_types):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell whose step can be hybridized."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError
