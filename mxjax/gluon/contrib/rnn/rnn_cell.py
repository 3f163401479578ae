"""Contributed recurrent cells (MXNet's ``gluon/contrib/rnn/rnn_cell.py``): variational
dropout, the projected LSTM cell, and ``dynamic_unroll``."""

from .... import ndarray as nd
from ...rnn._cell_base import (
    _TENSORS,
    HybridRecurrentCell,
    _format_sequence,
    _get_begin_state,
    _mask_sequence_variable_length,
)
from ...rnn.rnn_cell import _contains_bidirectional, _StepStateModifier

__all__ = ["VariationalDropoutCell", "LSTMPCell"]  # dynamic_unroll: rnn_cell only, as in MXNet


class VariationalDropoutCell(_StepStateModifier):
    """Variational dropout (Gal & Ghahramani, 2015) around ``base_cell``: one mask per
    sequence for the inputs, the first state and the outputs, drawn at the first step and
    kept until ``reset()`` (``unroll`` resets).

    Parameters
    ----------
    base_cell : RecurrentCell
        The cell to wrap.
    drop_inputs, drop_states, drop_outputs : float, default 0
        Dropout rates of the inputs, of the first state (h) and of the outputs.
    """

    def __init__(self, base_cell, drop_inputs=0.0, drop_states=0.0, drop_outputs=0.0):
        if drop_states and _contains_bidirectional(base_cell):
            raise AssertionError("BidirectionalCell doesn't support variational state "
                                 "dropout. Please add VariationalDropoutCell to the cells "
                                 "underneath instead.")
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self):
        return "vardrop"

    def reset(self):
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _initialize_input_masks(self, F, inputs, states):
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = F.Dropout(F.ones_like(states[0]), p=self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = F.Dropout(F.ones_like(inputs), p=self.drop_inputs)

    def _initialize_output_mask(self, F, output):
        if self.drop_outputs and self.drop_outputs_mask is None:
            self.drop_outputs_mask = F.Dropout(F.ones_like(output), p=self.drop_outputs)

    def hybrid_forward(self, F, inputs, states):
        self._initialize_input_masks(F, inputs, states)
        if self.drop_states:  # only h, always the first state, is dropped
            states = list(states)
            states[0] = states[0] * self.drop_states_mask
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        next_output, next_states = self.base_cell(inputs, states)
        self._initialize_output_mask(F, next_output)
        if self.drop_outputs:
            next_output = next_output * self.drop_outputs_mask
        return next_output, next_states

    def __repr__(self):
        return (f"{type(self).__name__}(p_out = {self.drop_outputs}, "
                f"p_state = {self.drop_states})")

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None,
               valid_length=None):
        """As ``RecurrentCell.unroll``; without state dropout the input and output masks
        apply to the whole sequence at once (shared along the time axis)."""
        if self.drop_states:
            return super().unroll(length, inputs, begin_state, layout, merge_outputs,
                                  valid_length=valid_length)
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, True)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size, layout)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        outputs, states = self.base_cell.unroll(length, inputs, states, layout,
                                                merge_outputs=True, valid_length=valid_length)
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, _TENSORS)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     merge_outputs)
        return outputs, states


class LSTMPCell(HybridRecurrentCell):
    r"""LSTM cell with a projected recurrent state (Sak et al., 2014)::

        gates from W_i x_t + b_i + W_h r_{t-1} + b_h (i, f, g, o as in LSTMCell)
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t),   r_t = W_hr h_t

    The output and the first state are ``r_t`` (``projection_size`` units).

    Parameters
    ----------
    hidden_size : int
        Number of units of the cell state.
    projection_size : int
        Number of units of the output and the recurrent state.
    i2h_weight_initializer, h2h_weight_initializer, h2r_weight_initializer : str or Initializer
        Initializers of the input, recurrent and projection weights.
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
        Initializers of the biases.
    input_size : int, default 0
        Number of input features (0: inferred at the first call).
    prefix, params
        As for every Block.
    """

    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, h2r_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._projection_size = projection_size
        rows = 4 * hidden_size
        for name, shape, init in (
                ("i2h_weight", (rows, input_size), i2h_weight_initializer),
                ("h2h_weight", (rows, projection_size), h2h_weight_initializer),
                ("h2r_weight", (projection_size, hidden_size), h2r_weight_initializer),
                ("i2h_bias", (rows,), i2h_bias_initializer),
                ("h2h_bias", (rows,), h2h_bias_initializer)):
            setattr(self, name, self.params.get(name, shape=shape, init=init,
                                                allow_deferred_init=True))

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size, self._projection_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _alias(self):
        return "lstmp"

    def __repr__(self):
        rows, cols = self.i2h_weight.shape
        return (f"{type(self).__name__}({cols if cols else None} -> {rows} -> "
                f"{self.h2r_weight.shape[0]})")

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias,
                       h2h_bias):
        prefix = f"t{self._counter}_"
        rows = 4 * self._hidden_size
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=rows,
                               name=prefix + "i2h")
        h2h = F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias,
                               num_hidden=rows, name=prefix + "h2h")
        gates = F.SliceChannel(i2h + h2h, num_outputs=4, name=prefix + "slice")
        in_gate, forget_gate, in_transform, out_gate = (
            F.Activation(gates[k], act_type=act, name=prefix + tag)
            for k, (act, tag) in enumerate((("sigmoid", "i"), ("sigmoid", "f"),
                                            ("tanh", "c"), ("sigmoid", "o"))))
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                name=prefix + "state")
        hidden = F.elemwise_mul(out_gate, F.Activation(next_c, act_type="tanh"),
                                name=prefix + "hidden")
        next_r = F.FullyConnected(data=hidden, num_hidden=self._projection_size,
                                  weight=h2r_weight, no_bias=True, name=prefix + "out")
        return next_r, [next_r, next_c]


def dynamic_unroll(cell, inputs, begin_state, drop_inputs=0, drop_outputs=0, layout="TNC",
                   valid_length=None):
    """Run ``cell`` over the time axis of ``inputs``; returns ``(outputs, states)``.

    Outputs are merged in ``layout``. With ``valid_length`` (batch,), each sequence's
    states stop changing after its last valid step and its outputs past it are zero.
    Dropout on inputs and outputs shares one mask along the time axis.
    """
    inputs, axis, _, _ = _format_sequence(0, inputs, layout, True)
    if axis != 0:
        inputs = nd.swapaxes(inputs, dim1=0, dim2=axis)
    # MXNet shares the dropout mask along ``axis`` of the time-major array (the batch axis
    # for 'NTC'); sharing along time is what variational dropout means.
    if drop_inputs:
        inputs = nd.Dropout(inputs, p=drop_inputs, axes=(0,))
    states = list(begin_state)
    outputs = []
    for t in range(inputs.shape[0]):
        out, new_states = cell(inputs[t], states)
        if valid_length is not None:
            valid = valid_length > t
            new_states = [nd.where(valid, new, old) for new, old in zip(new_states, states)]
        outputs.append(out)
        states = list(new_states)
    outputs = nd.stack(*outputs, axis=0)
    if drop_outputs:
        outputs = nd.Dropout(outputs, p=drop_outputs, axes=(0,))
    if axis != 0:
        outputs = nd.swapaxes(outputs, dim1=0, dim2=axis)
    if valid_length is not None:
        outputs = nd.SequenceMask(outputs, sequence_length=valid_length,
                                  use_sequence_length=True, axis=axis)
    return outputs, states
