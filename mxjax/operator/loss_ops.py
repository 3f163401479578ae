"""Output layers whose backward is the loss gradient (SoftmaxOutput, *RegressionOutput,
SVMOutput, MakeLoss, IdentityAttachKLSparseReg), CTCLoss and softmax_cross_entropy.

MXNet's output layers ignore the incoming head gradient: backward returns the gradient of
the implied loss with respect to the data, and the label gets none.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import engine
from ..base import MXNetError, shape_error
from .spec import if_attr, register


def _compute_dtype(x):
    return jnp.float32 if x.dtype == jnp.float16 else x.dtype


# ---------------------------------------------------------------------------------------
# SoftmaxOutput

@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _softmax_out(cfg, x, label):
    return jax.nn.softmax(x.astype(_compute_dtype(x)), axis=1).astype(x.dtype)


def _softmax_out_fwd(cfg, x, label):
    out = _softmax_out(cfg, x, label)
    return out, (out, label)


def _softmax_out_bwd(cfg, res, g):
    grad_scale, ignore_label, use_ignore, normalization, out_grad, smooth_alpha, dense = cfg
    out, label = res
    p = out.astype(_compute_dtype(out))
    if dense:  # the label holds probabilities of the output's shape: no normalisation
        grad = (p - label.astype(p.dtype)) * grad_scale
    else:
        # p is (n, k, m) with the class on axis 1; label is (n, m).
        k = p.shape[1]
        idx = label.astype(jnp.int32)
        onehot = jax.nn.one_hot(idx, k, axis=1, dtype=p.dtype)
        if smooth_alpha:
            onehot = onehot * (1 - smooth_alpha) + (1 - onehot) * (smooth_alpha / (k - 1))
        grad = p - onehot
        ignored = idx == int(ignore_label)
        if use_ignore:
            grad = jnp.where(ignored[:, None], 0, grad)
        # MXNet's normalisation: "valid" divides by the count of non-ignored labels;
        # otherwise by the number of positions per sample (multi_output), and "batch" also
        # by the batch size.
        if normalization == "valid":
            scale = grad_scale / jnp.maximum(jnp.sum(~ignored), 1).astype(p.dtype)
        else:
            rows = label.shape[0] if normalization == "batch" else 1
            scale = grad_scale / rows / label.shape[1]
        grad = grad * scale
    if out_grad:
        # MXNet 1.9.1 hands the op its own output where the head gradient should be.
        grad = grad * p
    return grad.astype(out.dtype), None


_softmax_out.defvjp(_softmax_out_fwd, _softmax_out_bwd)


def _softmax_label_shape(shapes, attrs):
    """SoftmaxOutput's label: one class index per prediction."""
    data = shapes["data"]
    if shapes.get("label") is not None or data is None:
        return {}
    if attrs["multi_output"]:
        return {"label": (data[0], *data[2:])}
    return {"label": tuple(data[:-1])}


@register("SoftmaxOutput", inputs=("data", "label"), aliases=("Softmax",),
          attrs=dict(grad_scale=1.0, ignore_label=-1.0, multi_output=False, use_ignore=False,
                     preserve_shape=False, normalization="null", out_grad=False,
                     smooth_alpha=0.0),
          infer_params=_softmax_label_shape, lists_input_names=True)
def softmax_output(data, label, *, grad_scale, ignore_label, multi_output, use_ignore,
                   preserve_shape, normalization, out_grad, smooth_alpha):
    """Softmax whose backward is the cross-entropy gradient ``(p - onehot(label)) * scale``."""
    op = "SoftmaxOutput"
    if normalization not in ("null", "batch", "valid"):
        raise MXNetError(f"{op}: invalid normalization {normalization!r}")
    if label is None:
        raise MXNetError(f"{op}: input 'label' is required")
    n = data.shape[0]
    dense = tuple(label.shape) == tuple(data.shape)
    if multi_output:
        x = data.reshape(n, data.shape[1], -1)
        accepted = [(n, x.shape[2]), (n, *data.shape[2:]), (n, 1, *data.shape[2:])]
    elif preserve_shape:
        x = data.reshape(-1, data.shape[-1], 1)
        accepted = [tuple(data.shape[:-1])]
    else:
        x = data.reshape(n, -1, 1)
        accepted = [tuple(data.shape[:-1])]
    if dense:
        lab = label.reshape(x.shape)
    elif tuple(label.shape) in accepted:
        # Without multi_output or preserve_shape MXNet reads the first n labels, one per
        # sample, whatever the label's shape.
        lab = label.reshape(-1)[:x.shape[0] * x.shape[2]].reshape(x.shape[0], x.shape[2])
    else:
        raise shape_error(op, "label", label.shape, " or ".join(map(str, accepted)),
                          data=data.shape, multi_output=multi_output)
    # MXNet smooths the labels only without multi_output.
    smooth = 0.0 if multi_output else float(smooth_alpha)
    cfg = (float(grad_scale), float(ignore_label), bool(use_ignore), normalization,
           bool(out_grad), smooth, dense)
    return _softmax_out(cfg, x, lab).reshape(data.shape)


# ---------------------------------------------------------------------------------------
# Regression outputs

def _regression(name, forward, gradient):
    """The impl of a regression output layer: ``forward(data)``, and in backward
    ``gradient(out, label) * grad_scale / (label.size / label.shape[0])``."""

    @functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
    def core(scale, data, label):
        return forward(data)

    def core_fwd(scale, data, label):
        out = forward(data)
        return out, (out, label)

    def core_bwd(scale, res, g):
        out, label = res
        return (gradient(out, label.astype(out.dtype)) * jnp.asarray(scale, out.dtype),
                None)

    core.defvjp(core_fwd, core_bwd)

    def impl(data, label, *, grad_scale):
        if label is None:
            raise MXNetError(f"{name}: input 'label' is required")
        if label.ndim == 0 or label.shape[0] != data.shape[0] or label.size != data.size:
            raise shape_error(name, "label", label.shape, data.shape)
        per_sample = label.size // label.shape[0]
        return core(float(grad_scale) / per_sample, data, label.reshape(data.shape))

    return impl


_REGRESSIONS = {
    "LinearRegressionOutput": ("Identity forward; backward gives (out - label) * scale.",
                               lambda x: x, lambda out, label: out - label),
    "MAERegressionOutput": ("Identity forward; backward gives sign(out - label) * scale.",
                            lambda x: x,
                            lambda out, label: jnp.where(out - label > 0, 1, -1).astype(
                                out.dtype)),
    "LogisticRegressionOutput": ("Sigmoid forward; backward gives (out - label) * scale.",
                                 jax.nn.sigmoid, lambda out, label: out - label),
}


def _regression_label_shape(shapes, attrs):  # noqa: ARG001
    """A regression output's label: the data's shape, or ``(N,)`` for data ``(N, 1)``."""
    data = shapes["data"]
    if shapes.get("label") is not None or data is None:
        return {}
    if len(data) == 2 and data[1] == 1:
        return {"label": (data[0],)}
    return {"label": tuple(data)}


for _name, (_doc, _forward, _gradient) in _REGRESSIONS.items():
    # MXNet parses the regression outputs' parameters leniently: unknown keywords pass.
    register(_name, inputs=("data", "label"), attrs=dict(grad_scale=1.0), doc=_doc,
             ignores_unknown_keywords=True, infer_params=_regression_label_shape,
             lists_input_names=True)(_regression(_name, _forward, _gradient))


# ---------------------------------------------------------------------------------------
# SVMOutput, MakeLoss, IdentityAttachKLSparseReg

def _svm_grad(cfg, out, label):
    margin, coef, linear = cfg
    x = out.reshape(-1, out.shape[-1])  # classes on the last axis
    onehot = jax.nn.one_hot(label.reshape(-1).astype(jnp.int32), x.shape[1], dtype=bool)
    # MXNet's L1/L2 SVM gradients: the labelled class is pushed above +margin, the others
    # below -margin.
    if linear:
        grad = jnp.where(onehot, -(margin > x).astype(x.dtype),
                         (margin > -x).astype(x.dtype))
    else:
        grad = jnp.where(onehot, -2 * jnp.maximum(margin - x, 0),
                         2 * jnp.maximum(margin + x, 0))
    return (grad * coef).reshape(out.shape)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _svm(cfg, data, label):
    return data


_svm.defvjp(lambda cfg, data, label: (data, (data, label)),
            lambda cfg, res, g: (_svm_grad(cfg, *res).astype(res[0].dtype), None))


@register("SVMOutput", inputs=("data", "label"),
          attrs=dict(margin=1.0, regularization_coefficient=1.0, use_linear=False),
          lists_input_names=True)
def svm_output(data, label, *, margin, regularization_coefficient, use_linear):
    """Identity forward; backward gives the L2 (or, with ``use_linear``, L1) SVM loss
    gradient for the class indices in ``label``, ignoring the head gradient."""
    if label is None or label.shape != data.shape[:-1]:
        raise shape_error("SVMOutput", "label", None if label is None else label.shape,
                          data.shape[:-1], data=data.shape)
    return _svm((float(margin), float(regularization_coefficient), bool(use_linear)),
                data, label)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _make_loss(cfg, data):
    return data


def _make_loss_bwd(cfg, data, g):
    grad_scale, valid_thresh, normalization = cfg
    if normalization == "valid":
        count = jnp.maximum(jnp.sum(data > valid_thresh), 1).astype(data.dtype)
        scale = grad_scale / count
    else:
        scale = grad_scale / (data.shape[0] if normalization == "batch" else 1)
    return (jnp.full_like(data, scale),)


_make_loss.defvjp(lambda cfg, data: (data, data), _make_loss_bwd)


@register("MakeLoss", attrs=dict(grad_scale=1.0, valid_thresh=0.0, normalization="null"),
          lists_input_names=True)
def make_loss_layer(data, *, grad_scale, valid_thresh, normalization):
    """Identity forward; backward gives ``grad_scale`` (divided by the batch size, or by the
    count of elements above ``valid_thresh``), ignoring the head gradient."""
    if normalization not in ("null", "batch", "valid"):
        raise MXNetError(f"MakeLoss: invalid normalization {normalization!r}")
    return _make_loss((float(grad_scale), float(valid_thresh), normalization), data)


def _kl_moving_avg(data, moving_avg, momentum):
    return momentum * moving_avg + (1 - momentum) * jnp.mean(data, axis=0)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _kl_sparse(cfg, data, moving_avg):
    return data


def _kl_sparse_bwd(cfg, res, g):
    target, penalty, momentum = cfg
    data, moving_avg = res
    # MXNet adds the KL sparseness penalty's gradient at the updated moving average.
    avg = _kl_moving_avg(data, moving_avg, momentum)
    extra = penalty * (-target / avg + (1 - target) / (1 - avg))
    return g + extra.astype(g.dtype), None


_kl_sparse.defvjp(lambda cfg, data, moving_avg: (data, (data, moving_avg)), _kl_sparse_bwd)


def _kl_sparse_hook(attrs, inputs, outputs):
    # MXNet 1.9.1 updates the moving average of the activations in the backward pass.
    data, moving_avg = inputs
    (new,) = engine.call(_kl_moving_update, "kl_sparse_moving",
                         [data._lazy, moving_avg._lazy, np.float32(attrs["momentum"])])
    moving_avg._set_data(new)


def _kl_moving_update(data, moving_avg, momentum):
    return (_kl_moving_avg(data, moving_avg, momentum),)


def _kl_param_shapes(shapes, attrs):  # noqa: ARG001
    return {"moving_avg": (shapes["data"][1],)}


@register("IdentityAttachKLSparseReg", inputs=("data", "moving_avg"),
          attrs=dict(sparseness_target=0.1, penalty=0.001, momentum=0.9),
          infer_params=_kl_param_shapes, on_backward=_kl_sparse_hook,
          mutate=(1,), returns_mutated=False, input_init={1: '["zero", {}]'},
          lists_input_names=True)
def identity_attach_kl_sparse_reg(data, moving_avg, *, sparseness_target, penalty, momentum):
    """Identity forward; backward adds the gradient of a KL-divergence sparseness penalty
    between ``sparseness_target`` and the moving average of each (sigmoid) activation.
    ``moving_avg`` (one entry per column of the (N, C) data) is an auxiliary state,
    updated in backward."""
    op = "IdentityAttachKLSparseReg"
    if data.ndim != 2:
        raise shape_error(op, "data", data.shape, "(N, C)")
    if moving_avg is None or moving_avg.shape != (data.shape[1],):
        raise shape_error(op, "moving_avg", None if moving_avg is None else moving_avg.shape,
                          (data.shape[1],), data=data.shape)
    cfg = (float(np.float32(sparseness_target)), float(np.float32(penalty)),
           float(np.float32(momentum)))
    return _kl_sparse(cfg, data, moving_avg)


# ---------------------------------------------------------------------------------------
# softmax_cross_entropy

@register("softmax_cross_entropy", inputs=("data", "label"), lists_input_names=True)
def softmax_cross_entropy(data, label):
    """Cross-entropy of ``softmax(data)`` (classes on axis 1) with integer labels, summed
    over the batch: shape (1,)."""
    if data.ndim != 2 or label is None or label.shape != (data.shape[0],):
        raise shape_error("softmax_cross_entropy", "label",
                          None if label is None else label.shape, (data.shape[0],),
                          data=data.shape)
    logp = jax.nn.log_softmax(data.astype(_compute_dtype(data)), axis=1)
    idx = label.astype(jnp.int32)[:, None]
    return (-jnp.sum(jnp.take_along_axis(logp, idx, axis=1))).reshape(1).astype(data.dtype)


# ---------------------------------------------------------------------------------------
# CTCLoss

def _label_lengths(label, padding):
    """Length of each label row: up to the first padding value."""
    is_pad = label == padding
    first = jnp.argmax(is_pad, axis=1)
    return jnp.where(jnp.any(is_pad, axis=1), first, label.shape[1])


@register("CTCLoss", inputs=("data", "label", "data_lengths", "label_lengths"),
          aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"),
          attrs=dict(use_data_lengths=False, use_label_lengths=False, blank_label="first"),
          conditional_inputs={"data_lengths": if_attr("use_data_lengths"),
                              "label_lengths": if_attr("use_label_lengths")},
          total_outputs=2, lists_input_names=True)
def ctc_loss(data, label, data_lengths, label_lengths, *, use_data_lengths,
             use_label_lengths, blank_label):
    """Connectionist temporal classification loss of (T, N, C) activations, per sample.

    The activations are unnormalised (softmax is applied inside). With
    ``blank_label='first'`` class 0 is blank and labels are padded with 0; with 'last'
    class C-1 is blank and labels are padded with -1."""
    op = "CTCLoss"
    if blank_label not in ("first", "last"):
        raise MXNetError(f"{op}: invalid blank_label {blank_label!r}")
    if data.ndim != 3 or label is None or label.ndim != 2 or label.shape[0] != data.shape[1]:
        raise shape_error(op, "label", None if label is None else label.shape,
                          "(N, L) with data (T, N, C)", data=data.shape)
    if label.shape[1] > data.shape[0]:
        raise shape_error(op, "label", label.shape, f"at most {data.shape[0]} labels per "
                          "sample (the sequence length)", data=data.shape)
    steps, batch, classes = data.shape
    blank = 0 if blank_label == "first" else classes - 1
    lab = label.astype(jnp.int32)
    if use_label_lengths:
        lab_len = label_lengths.astype(jnp.int32)
    else:
        lab_len = _label_lengths(lab, 0 if blank_label == "first" else -1)
    seq_len = data_lengths.astype(jnp.int32) if use_data_lengths else \
        jnp.full((batch,), steps, jnp.int32)
    return _ctc_nll(data, lab, lab_len, seq_len, blank)


def _log_add(*terms):
    """log(sum(exp(terms))) whose gradient stays finite where every term is -inf."""
    top = functools.reduce(jnp.maximum, terms)
    top = jnp.where(jnp.isfinite(top), top, 0)
    total = sum(jnp.exp(t - top) for t in terms)
    positive = total > 0
    return jnp.where(positive, top + jnp.log(jnp.where(positive, total, 1)), -jnp.inf)


def _ctc_nll(data, label, label_len, seq_len, blank):
    """Negative log-likelihood by the forward (alpha) recursion in log space."""
    steps, batch, _ = data.shape
    dt = _compute_dtype(data)
    # Steps past a sequence's length are never read (MXNet gives them a zero gradient,
    # whatever they hold, NaN included).
    valid = (jnp.arange(steps)[:, None] < seq_len[None, :])[:, :, None]
    logp = jax.nn.log_softmax(jnp.where(valid, data.astype(dt), 0), axis=2)
    n_ext = 2 * label.shape[1] + 1
    pos = jnp.arange(n_ext)
    # Extended labels: blank, l1, blank, l2, ..., blank; padding beyond a row's length.
    ext = jnp.where(pos % 2 == 0, blank, label[:, jnp.clip((pos - 1) // 2, 0, None)])
    skip_ok = (pos >= 2) & (pos % 2 == 1) & (ext != jnp.roll(ext, 2, axis=1))
    neg_inf = jnp.asarray(-jnp.inf, dt)

    def emissions(t):
        return jnp.take_along_axis(logp[t], ext, axis=1)

    alpha0 = jnp.where(pos < 2, emissions(0), neg_inf)
    alpha0 = jnp.where((pos == 1) & (label_len[:, None] == 0), neg_inf, alpha0)

    def step(alpha, t):
        prev1 = jnp.pad(alpha, ((0, 0), (1, 0)), constant_values=-jnp.inf)[:, :-1]
        prev2 = jnp.pad(alpha, ((0, 0), (2, 0)), constant_values=-jnp.inf)[:, :-2]
        prev2 = jnp.where(skip_ok, prev2, neg_inf)
        new = _log_add(alpha, prev1, prev2) + emissions(t)
        return jnp.where((t < seq_len)[:, None], new, alpha), None

    alpha, _ = lax.scan(step, alpha0, jnp.arange(1, steps))
    end = 2 * label_len
    last = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    before = jnp.where(label_len > 0, before, neg_inf)
    return (-_log_add(last, before)).astype(data.dtype)
