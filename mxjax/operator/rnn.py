"""The fused recurrent operator ``RNN`` (vanilla ReLU/tanh RNN, LSTM, GRU).

Layout TNC: ``data`` is (seq_len, batch, input_size). ``parameters`` is ONE flat vector
packed as MXNet 1.9.1 packs it: first every weight, for each layer and each direction
``i2h_weight`` (gates*H, layer_input), ``h2h_weight`` (gates*H, H or P) and, for LSTM
with projection, ``h2r_weight`` (P, H); then every bias, in the same order ``i2h_bias``
(gates*H), ``h2h_bias`` (gates*H). Gates are ordered i, f, g, o (LSTM) and r, z, n (GRU,
with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), as cuDNN). States are
(layers*directions, batch, H), layer-major.

Each layer is one ``lax.scan`` over time with both directions stacked on a leading axis;
the reverse direction reads the sequence reversed within each valid length.
"""

import jax
import jax.numpy as jnp

from ..base import MXNetError, shape_error
from .sequence import lengths_as_int, reverse_time_index
from .spec import Required, if_attr, register

__all__ = ["rnn_param_size"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def rnn_param_size(mode, num_layers, input_size, state_size, bidirectional=False,
                   projection_size=None):
    """Length of RNN's flat parameter vector."""
    gates, dirs = _GATES[mode], 2 if bidirectional else 1
    rec = projection_size or state_size  # size of the recurrent (and output) state
    size = 0
    for layer in range(num_layers):
        layer_in = input_size if layer == 0 else rec * dirs
        size += dirs * (gates * state_size * (layer_in + rec + 2)
                        + (projection_size or 0) * state_size)
    return size


def _unpack(params, mode, num_layers, dirs, input_size, H, P):
    """Per layer: dict of weights stacked over directions (leading axis ``dirs``)."""
    G, rec = _GATES[mode] * H, P or H
    shapes = [[("wx", (G, input_size if layer == 0 else rec * dirs)), ("wh", (G, rec))]
              + ([("wr", (P, H))] if P else []) for layer in range(num_layers)]
    pos, layers = 0, [{} for _ in range(num_layers)]
    for part in ("weights", "biases"):
        for layer, named in enumerate(shapes):
            named = named if part == "weights" else [("bx", (G,)), ("bh", (G,))]
            per_dir = {name: [] for name, _ in named}
            for _ in range(dirs):
                for name, shape in named:
                    n = shape[0] * (shape[1] if len(shape) == 2 else 1)
                    per_dir[name].append(params[pos:pos + n].reshape(shape))
                    pos += n
            layers[layer].update({k: jnp.stack(v) for k, v in per_dir.items()})
    return layers


def _cell(mode, clip):
    """``step(gx, carry, w) -> new carry`` where gx = W_x x + b_x for one time step,
    shaped (dirs, batch, gates*H), and carry[0] is the recurrent output h (or r)."""
    act = jax.nn.relu if mode == "rnn_relu" else jnp.tanh

    def hidden(h, w):
        return jnp.einsum("dnh,dgh->dng", h, w["wh"]) + w["bh"][:, None, :]

    def rnn(gx, carry, w):
        return (act(gx + hidden(carry[0], w)),)

    def gru(gx, carry, w):
        h = carry[0]
        gh = hidden(h, w)
        xr, xz, xn = jnp.split(gx, 3, axis=-1)
        hr, hz, hn = jnp.split(gh, 3, axis=-1)
        r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
        n = jnp.tanh(xn + r * hn)
        return ((1 - z) * n + z * h,)

    def lstm(gx, carry, w):
        h, c = carry
        i, f, g, o = jnp.split(gx + hidden(h, w), 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        if clip is not None:
            lo, hi, nan_to_min = clip
            c = jnp.clip(c, lo, hi)
            if nan_to_min:  # cuDNN's NOT_PROPAGATE_NAN clipping: max(NaN, lo) is lo
                c = jnp.where(jnp.isnan(c), jnp.asarray(lo, c.dtype), c)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        if "wr" in w:  # LSTMP: the recurrent state and the output are r = W_hr h
            h = jnp.einsum("dnh,dph->dnp", h, w["wr"])
        return (h, c)

    return {"rnn_relu": rnn, "rnn_tanh": rnn, "gru": gru, "lstm": lstm}[mode]


def _reverse(x, rev_index):
    """Reverse (T, N, C) in time, within each sequence's length when lengths are given."""
    if rev_index is None:
        return jnp.flip(x, axis=0)
    return jnp.take_along_axis(x, rev_index[:, :, None], axis=0)


def _layer(x, carry0, w, step, rev_index, valid):
    """One layer, both directions: x (T, N, C) -> (out (T, N, dirs*R), final carry)."""
    dirs = carry0[0].shape[0]
    gx = jnp.einsum("tnc,dgc->dtng", x, w["wx"]) + w["bx"][:, None, None, :]
    if dirs == 2:  # the reverse direction walks its sequence backwards
        gx = jnp.stack([gx[0], _reverse(gx[1], rev_index)])

    def body(carry, inputs):
        g, keep = inputs
        new = step(g, carry, w)
        if keep is not None:  # past a sequence's length: carry unchanged, output zero
            new = tuple(jnp.where(keep[None, :, None], a, b) for a, b in zip(new, carry))
            return new, jnp.where(keep[None, :, None], new[0], 0)
        return new, new[0]

    carry, ys = jax.lax.scan(body, carry0, (jnp.moveaxis(gx, 1, 0), valid))
    ys = jnp.moveaxis(ys, 0, 1)  # (dirs, T, N, R)
    if dirs == 2:
        ys = jnp.stack([ys[0], _reverse(ys[1], rev_index)])
    return jnp.concatenate(list(ys), axis=-1), carry


def _num_outputs(attrs):
    if not attrs["state_outputs"]:
        return 1
    return 3 if attrs["mode"] == "lstm" else 2


def _validate(mode, p, P, state_size, clip_min, clip_max):
    if mode not in _GATES:
        raise MXNetError(f"RNN: invalid mode {mode!r}; expected one of {list(_GATES)}")
    if not 0 <= p < 1:
        raise MXNetError(f"RNN: dropout p={p} is out of range; expected 0 <= p < 1")
    if P is not None and (mode != "lstm" or not 0 < P <= state_size):
        raise MXNetError(f"RNN: projection_size={P} needs mode='lstm' and 0 < "
                         f"projection_size <= state_size (state_size={state_size}, "
                         f"mode={mode!r})")
    if clip_min is not None or clip_max is not None:
        if mode != "lstm" or clip_min is None or clip_max is None or clip_max < clip_min:
            raise MXNetError(
                "RNN: state clipping needs mode='lstm' and both lstm_state_clip_min and "
                f"lstm_state_clip_max with min <= max (got mode={mode!r}, "
                f"min={clip_min}, max={clip_max})")


def _expected_shapes(data_shape, mode, num_layers, state_size, projection_size,
                     bidirectional):
    """Shapes of the parameter and state inputs implied by ``data`` and the attributes."""
    T, N, I = data_shape
    dirs, L, H, P = 2 if bidirectional else 1, num_layers, state_size, projection_size
    expected = {"parameters": (rnn_param_size(mode, L, I, H, bidirectional, P),),
                "state": (L * dirs, N, P or H)}
    if mode == "lstm":
        expected["state_cell"] = (L * dirs, N, H)
    return expected


def _infer_params(shapes, attrs):
    if shapes.get("data") is None:
        raise MXNetError("RNN: the shape of data must be known to infer the parameters")
    expected = _expected_shapes(shapes["data"], attrs["mode"], attrs["num_layers"],
                                attrs["state_size"], attrs["projection_size"],
                                attrs["bidirectional"])
    return {k: v for k, v in expected.items() if shapes.get(k) is None}


@register("RNN", inputs=("data", "parameters", "state", "state_cell", "sequence_length"),
          attrs=dict(state_size=Required(int), num_layers=Required(int), bidirectional=False,
                     mode=Required, p=0.0, state_outputs=False, projection_size=None,
                     lstm_state_clip_min=None, lstm_state_clip_max=None,
                     lstm_state_clip_nan=False, use_sequence_length=False),
          num_outputs=_num_outputs, infer_params=_infer_params, random=True, training=True,
          reads_training=lambda attrs: float(attrs["p"]) != 0,  # only its dropout does
          conditional_inputs={"state_cell": lambda attrs: attrs["mode"] == "lstm",
                              "sequence_length": if_attr("use_sequence_length")},
          output_names=("output", "state_output", "statecell_output"), stateful=True,
          lists_input_names=True)
def rnn(data, parameters, state, state_cell, sequence_length, *, state_size, num_layers,
        bidirectional, mode, p, state_outputs, projection_size, lstm_state_clip_min,
        lstm_state_clip_max, lstm_state_clip_nan, use_sequence_length, key, _training):
    """Multi-layer (bidirectional) vanilla RNN, LSTM or GRU over a TNC sequence."""
    H, P, L = state_size, projection_size, num_layers
    _validate(mode, p, P, H, lstm_state_clip_min, lstm_state_clip_max)
    if mode != "lstm" and state_cell is not None:
        if not use_sequence_length or sequence_length is not None:
            raise MXNetError(f"RNN: state_cell is only an input of mode='lstm' (got {mode!r})")
        # MXNet passes inputs by position: for a non-LSTM the 4th is sequence_length.
        state_cell, sequence_length = None, state_cell
    if data.ndim != 3:
        raise shape_error("RNN", "data", data.shape, "(seq_len, batch, input_size)")
    T, N, I = data.shape
    given = {"parameters": parameters, "state": state, "state_cell": state_cell}
    for name, shape in _expected_shapes(data.shape, mode, L, H, P, bidirectional).items():
        value = given[name]
        if value is None:
            raise MXNetError(f"RNN: input {name} is required for mode={mode!r}")
        if value.shape != shape:
            raise shape_error("RNN", name, value.shape, shape, mode=mode, num_layers=L,
                              state_size=H, bidirectional=bidirectional, data=data.shape)
        if value.dtype != data.dtype:
            raise MXNetError(f"RNN: {name} has dtype {value.dtype}, expected {data.dtype} "
                             "(the dtype of data)")
    lengths = lengths_as_int("RNN", sequence_length, N, use_sequence_length)

    # Half precision is computed in float32 (as cuDNN does) and cast back.
    dtype = data.dtype
    work = jnp.float32 if jnp.dtype(dtype).itemsize < 4 else dtype
    x, parameters = data.astype(work), parameters.astype(work)
    dirs = 2 if bidirectional else 1
    weights = _unpack(parameters, mode, L, dirs, I, H, P)
    clip = None if lstm_state_clip_min is None else (
        lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan)
    step = _cell(mode, clip)
    rev_index = None if lengths is None else reverse_time_index(T, lengths, N)
    valid = None if lengths is None else jnp.arange(T)[:, None] < lengths[None, :]
    h0 = state.astype(work).reshape(L, dirs, N, -1)
    c0 = state_cell.astype(work).reshape(L, dirs, N, H) if mode == "lstm" else None
    finals = []
    for layer, w in enumerate(weights):
        carry0 = (h0[layer],) if c0 is None else (h0[layer], c0[layer])
        x, carry = _layer(x, carry0, w, step, rev_index, valid)
        finals.append(carry)
        if _training and p > 0 and layer < L - 1:  # dropout between layers, training only
            key, sub = jax.random.split(key)
            x = jnp.where(jax.random.bernoulli(sub, 1 - p, x.shape), x / (1 - p), 0)
    outputs = [x]
    if state_outputs:
        outputs += [jnp.concatenate([c[k] for c in finals]) for k in range(len(finals[0]))]
    outputs = [o.astype(dtype) for o in outputs]
    return tuple(outputs) if state_outputs else outputs[0]
