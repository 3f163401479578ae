"""Region-based detection operators (Faster R-CNN / R-FCN): Proposal, MultiProposal and
position-sensitive ROI pooling (PSROIPooling, DeformablePSROIPooling).

Proposal generation passes no gradient (MXNet writes zeros), so it stops the gradient
at its inputs; its float arithmetic follows MXNet's kernels step by step (some steps in
double precision), so boxes agree to the last bit in float32.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .greedy_nms import greedy_nms
from .spec import Required, register, unless_attr

_F32, _F64 = np.float32, np.float64


def _floats(value):
    return tuple(float(v) for v in (value if isinstance(value, (tuple, list)) else (value,)))


# ---------------------------------------------------------------------------------------
# Proposal, MultiProposal

def _base_anchors(feature_stride, ratios, scales):
    """(ratios x scales, 4) anchors around the first cell, in MXNet's float arithmetic."""
    w = h = _F32(_F32(feature_stride - 1.0) - _F32(0) + _F32(1))
    x_ctr = y_ctr = _F32(_F64(0) + 0.5 * (_F64(w) - 1.0))
    size = w * h
    anchors = []
    for ratio in ratios:
        for scale in scales:
            ratio, scale = _F32(ratio), _F32(scale)
            size_ratios = np.floor(size / ratio)
            new_w = np.floor(np.sqrt(size_ratios) + _F32(0.5)) * scale
            new_h = np.floor(new_w / scale * ratio + _F32(0.5)) * scale
            hw, hh = _F32(0.5) * (new_w - _F32(1)), _F32(0.5) * (new_h - _F32(1))
            anchors.append([x_ctr - hw, y_ctr - hh, x_ctr + hw, y_ctr + hh])
    return np.array(anchors, _F32)


def _shifted_anchors(base, height, width, stride):
    """All anchors in MXNet's (height, width, anchor) order, shape (H*W*A, 4)."""
    ky, kx = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    shift = np.stack([kx, ky, kx, ky], axis=-1).astype(_F32) * _F32(stride)
    return (base[None, None] + shift[:, :, None]).reshape(-1, 4)


def _round_f32(x):
    return x.astype(jnp.float32)


def _transform(anchors, deltas, im_h, im_w, iou_loss):
    """Predicted boxes from anchor deltas, clipped to the image."""
    f64 = jnp.float64
    if iou_loss:
        boxes = anchors + deltas
    else:
        x1, y1, x2, y2 = (anchors[:, i] for i in range(4))
        width = _round_f32((x2 - x1).astype(f64) + 1.0)
        height = _round_f32((y2 - y1).astype(f64) + 1.0)
        ctr_x = _round_f32(x1.astype(f64) + 0.5 * (width.astype(f64) - 1.0))
        ctr_y = _round_f32(y1.astype(f64) + 0.5 * (height.astype(f64) - 1.0))
        pcx, pcy = deltas[:, 0] * width + ctr_x, deltas[:, 1] * height + ctr_y
        pw, ph = jnp.exp(deltas[:, 2]) * width, jnp.exp(deltas[:, 3]) * height
        hw, hh = 0.5 * (pw.astype(f64) - 1.0), 0.5 * (ph.astype(f64) - 1.0)
        boxes = jnp.stack([_round_f32(pcx.astype(f64) - hw), _round_f32(pcy.astype(f64) - hh),
                           _round_f32(pcx.astype(f64) + hw), _round_f32(pcy.astype(f64) + hh)],
                          axis=-1)
    limit = jnp.stack([im_w, im_h, im_w, im_h]) - jnp.float32(1)
    return jnp.maximum(jnp.minimum(boxes, limit), jnp.float32(0))


def _proposals_one(scores, deltas, im_info, base, *, stride, pre_nms, post_nms, threshold,
                   min_size, iou_loss):
    """Proposals of one image: scores (A, H, W) foreground, deltas (4A, H, W)."""
    n_anchor, height, width = scores.shape
    anchors = jnp.asarray(_shifted_anchors(base, height, width, stride))
    score = jnp.transpose(scores, (1, 2, 0)).reshape(-1)
    delta = jnp.transpose(deltas.reshape(n_anchor, 4, height, width), (2, 3, 0, 1))
    boxes = _transform(anchors, delta.reshape(-1, 4), im_info[0], im_info[1], iou_loss)
    # predictions on the padding (past the real image size) get score -1
    real_h = jnp.trunc(im_info[0] / jnp.float32(stride)).astype(jnp.int32)
    real_w = jnp.trunc(im_info[1] / jnp.float32(stride)).astype(jnp.int32)
    row = jnp.repeat(jnp.arange(height), width * n_anchor)
    col = jnp.tile(jnp.repeat(jnp.arange(width), n_anchor), height)
    score = jnp.where((row >= real_h) | (col >= real_w), jnp.float32(-1), score)
    # boxes smaller than min_size grow by min_size / 2 on each side and get score -1
    limit = jnp.float32(min_size) * im_info[2]
    bw = boxes[:, 2] - boxes[:, 0] + jnp.float32(1)
    bh = boxes[:, 3] - boxes[:, 1] + jnp.float32(1)
    small = (bw < limit) | (bh < limit)
    grow = jnp.where(small, limit / 2, jnp.float32(0))
    boxes = boxes + jnp.stack([-grow, -grow, grow, grow], axis=-1)
    score = jnp.where(small, jnp.float32(-1), score)

    order = jnp.argsort(-score, stable=True)[:pre_nms]
    boxes, score = boxes[order], score[order]
    area = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)

    def suppresses(rows, cols):
        a, b = boxes[rows][:, None], boxes[cols][None, :]
        w = jnp.maximum(0.0, jnp.minimum(a[..., 2], b[..., 2])
                        - jnp.maximum(a[..., 0], b[..., 0]) + jnp.float32(1))
        h = jnp.maximum(0.0, jnp.minimum(a[..., 3], b[..., 3])
                        - jnp.maximum(a[..., 1], b[..., 1]) + jnp.float32(1))
        inter = w * h
        return inter / (area[rows][:, None] + area[cols][None, :] - inter) > \
            jnp.float32(threshold)

    kept, count = greedy_nms(pre_nms, suppresses, jnp.ones(pre_nms, bool),
                             limit=min(post_nms, pre_nms))
    keep = jnp.argsort(~kept, stable=True)
    # rows past the kept ones repeat them cyclically
    slots = jnp.arange(post_nms, dtype=jnp.int32)
    picked = keep[jnp.where(slots < count, slots, slots % jnp.maximum(count, 1))]
    return boxes[picked], score[picked]


_PROPOSAL_ATTRS = dict(rpn_pre_nms_top_n=6000, rpn_post_nms_top_n=300, threshold=0.7,
                       rpn_min_size=16, scales=(4.0, 8.0, 16.0, 32.0), ratios=(0.5, 1.0, 2.0),
                       feature_stride=16, output_score=False, iou_loss=False)


def _proposal(op, cls_prob, bbox_pred, im_info, *, rpn_pre_nms_top_n, rpn_post_nms_top_n,
              threshold, rpn_min_size, scales, ratios, feature_stride, output_score,
              iou_loss):
    for name, x in (("cls_prob", cls_prob), ("bbox_pred", bbox_pred), ("im_info", im_info)):
        if x.dtype != jnp.float32:
            raise MXNetError(f"{op}: {name} must be float32, got {x.dtype}")
    if cls_prob.ndim != 4:
        raise shape_error(op, "cls_prob", cls_prob.shape, "(batch, 2*num_anchors, H, W)")
    b, c, h, w = cls_prob.shape
    n_anchor = c // 2
    if tuple(bbox_pred.shape) != (b, 2 * c, h, w):
        raise shape_error(op, "bbox_pred", bbox_pred.shape, (b, 2 * c, h, w))
    if tuple(im_info.shape) != (b, 3):
        raise shape_error(op, "im_info", im_info.shape, (b, 3))
    scales, ratios = _floats(scales), _floats(ratios)
    if n_anchor != len(scales) * len(ratios):
        raise MXNetError(f"{op}: cls_prob has {n_anchor} anchors per position, but "
                         f"{len(ratios)} ratios x {len(scales)} scales give "
                         f"{len(scales) * len(ratios)}")
    cls_prob, bbox_pred, im_info = (lax.stop_gradient(x) for x in
                                    (cls_prob, bbox_pred, im_info))
    count = n_anchor * h * w
    pre = min(rpn_pre_nms_top_n if rpn_pre_nms_top_n > 0 else count, count)
    base = _base_anchors(feature_stride, ratios, scales)
    # one image after another: the NMS loops stop early per image, which vmap would undo
    boxes, score = lax.map(lambda args: _proposals_one(
        *args, base, stride=feature_stride, pre_nms=pre, post_nms=rpn_post_nms_top_n,
        threshold=threshold, min_size=rpn_min_size, iou_loss=iou_loss),
        (cls_prob[:, n_anchor:], bbox_pred, im_info))
    batch = jnp.broadcast_to(jnp.arange(b, dtype=jnp.float32)[:, None, None],
                             (b, rpn_post_nms_top_n, 1))
    rois = jnp.concatenate([batch, boxes], axis=-1).reshape(-1, 5)
    score = score.reshape(-1, 1)
    return (rois, score) if output_score else rois


def _proposal_outputs(attrs):
    return 2 if attrs["output_score"] else 1


# MXNet's backward of the proposal operators reads no head gradient and writes zeros.
_PROPOSAL_GRAPH = dict(total_outputs=2, output_names=("output", "score"), zero_gradient=True,
                       lists_input_names=True)


@register("_contrib_Proposal", inputs=("cls_prob", "bbox_pred", "im_info"),
          attrs=_PROPOSAL_ATTRS, num_outputs=_proposal_outputs, **_PROPOSAL_GRAPH)
def proposal(cls_prob, bbox_pred, im_info, **attrs):
    """Region proposals of an RPN for one image: anchors moved by ``bbox_pred``, clipped,
    filtered by size, sorted by foreground score and thinned by NMS, as
    ``(rpn_post_nms_top_n, 5)`` rows ``[batch_index, x1, y1, x2, y2]`` (and the scores
    with ``output_score``)."""
    if cls_prob.shape[0] != 1:
        raise MXNetError("Proposal: only one image per call is implemented (MXNet 1.9.1 "
                         f"too); cls_prob has batch size {cls_prob.shape[0]}, use "
                         "MultiProposal")
    return _proposal("Proposal", cls_prob, bbox_pred, im_info, **attrs)


@register("_contrib_MultiProposal", inputs=("cls_prob", "bbox_pred", "im_info"),
          attrs=_PROPOSAL_ATTRS, num_outputs=_proposal_outputs, **_PROPOSAL_GRAPH)
def multi_proposal(cls_prob, bbox_pred, im_info, **attrs):
    """Proposal for a batch of images: ``(batch * rpn_post_nms_top_n, 5)`` rows."""
    return _proposal("MultiProposal", cls_prob, bbox_pred, im_info, **attrs)


# ---------------------------------------------------------------------------------------
# PSROIPooling

def _roi_batch(data, rois):
    """Each ROI's image of ``data`` (the batch index truncated toward zero)."""
    return data[jnp.clip(rois[:, 0].astype(jnp.int32), 0, data.shape[0] - 1)]


def _group_of(pooled, group_size, dtype):
    """Static map from pooled bin to position-sensitive group (floor(p * G / P), clipped)."""
    p = np.arange(pooled).astype(dtype)
    g = np.floor(p * dtype(group_size) / dtype(pooled)).astype(int)
    return np.clip(g, 0, group_size - 1)


@register("_contrib_PSROIPooling", inputs=("data", "rois"),
          attrs=dict(spatial_scale=Required, output_dim=Required, pooled_size=Required,
                     group_size=0), lists_input_names=True)
def psroi_pooling(data, rois, *, spatial_scale, output_dim, pooled_size, group_size):
    """Position-sensitive ROI average pooling (R-FCN): bin ``(ph, pw)`` of output channel
    ``d`` averages input channel ``(d * G + gh) * G + gw`` over the bin's cells.
    Output ``(num_rois, output_dim, pooled_size, pooled_size)``."""
    op = "PSROIPooling"
    if data.ndim != 4:
        raise shape_error(op, "data", data.shape, "4-D (batch, channel, height, width)")
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise shape_error(op, "rois", rois.shape, "(num_rois, 5)")
    group = group_size or pooled_size
    if data.shape[1] != output_dim * group * group:
        raise shape_error(op, "data", data.shape, f"{output_dim * group * group} channels "
                          f"(output_dim * group_size^2)")
    dtype = data.dtype.type
    rois = lax.stop_gradient(rois).astype(data.dtype)
    height, width = data.shape[2:]
    scale = jnp.asarray(_F32(spatial_scale), data.dtype)  # a float32 attribute in MXNet

    def bounds(start, end, size):
        # rounded ROI corners (C round: half away from zero) in feature-map units
        lo = start * scale
        hi = (end + 1) * scale
        extent = jnp.maximum(hi - lo, dtype(0.1))
        p = jnp.arange(pooled_size, dtype=data.dtype)
        bin_size = extent / dtype(pooled_size)
        s = jnp.floor(p * bin_size[:, None] + lo[:, None]).astype(jnp.int32)
        e = jnp.ceil((p + 1) * bin_size[:, None] + lo[:, None]).astype(jnp.int32)
        s, e = jnp.clip(s, 0, size), jnp.clip(e, 0, size)
        cells = jnp.arange(size)
        mask = (cells >= s[..., None]) & (cells < e[..., None])       # (R, P, size)
        return mask, e - s

    mask_h, len_h = bounds(_round_half_away(rois[:, 2]), _round_half_away(rois[:, 4]), height)
    mask_w, len_w = bounds(_round_half_away(rois[:, 1]), _round_half_away(rois[:, 3]), width)
    sel = np.eye(group, dtype=bool)[_group_of(pooled_size, group, dtype)].T   # (G, P)
    mh = (sel[None, :, :, None] & mask_h[:, None]).astype(data.dtype)         # (R, G, P, H)
    mw = (sel[None, :, :, None] & mask_w[:, None]).astype(data.dtype)         # (R, G, P, W)
    x = _roi_batch(data, rois).reshape(rois.shape[0], output_dim, group, group, height, width)
    total = jnp.einsum("rdijhw,riph,rjqw->rdpq", x, mh, mw)
    area = (len_h[:, :, None] * len_w[:, None, :]).astype(data.dtype)         # (R, P, P)
    empty = (len_h[:, :, None] <= 0) | (len_w[:, None, :] <= 0)
    return jnp.where(empty[:, None], 0, total / jnp.where(empty, 1, area)[:, None])


def _round_half_away(x):
    """C's round(): halves away from zero (jnp.round rounds them to even)."""
    return jnp.sign(x) * jnp.floor(jnp.abs(x) + 0.5)


# ---------------------------------------------------------------------------------------
# DeformablePSROIPooling

def _bilinear_clamped(flat, rows, cols, height, width):
    """Bilinear samples of ``flat`` (..., H*W) at positions already inside the map."""
    r0, c0 = jnp.floor(rows), jnp.floor(cols)
    r1, c1 = jnp.ceil(rows), jnp.ceil(cols)
    dr, dc = rows - r0, cols - c0

    def at(r, c):
        return jnp.take_along_axis(flat, (r * width + c).astype(jnp.int32), axis=-1)

    return ((1 - dc) * (1 - dr) * at(r0, c0) + (1 - dc) * dr * at(r1, c0)
            + dc * (1 - dr) * at(r0, c1) + dc * dr * at(r1, c1))


def _straight_through(x, clipped):
    """``clipped`` in value, ``x`` in gradient: MXNet's backward ignores the clamp."""
    return x + lax.stop_gradient(clipped - x)


@register("_contrib_DeformablePSROIPooling", inputs=("data", "rois", "trans"),
          attrs=dict(spatial_scale=Required, output_dim=Required, group_size=Required,
                     pooled_size=Required, part_size=0, sample_per_part=1, trans_std=0.0,
                     no_trans=False),
          conditional_inputs={"trans": unless_attr("no_trans")}, total_outputs=2,
          output_names=("output",), lists_input_names=True)
def deformable_psroi_pooling(data, rois, trans, *, spatial_scale, output_dim, group_size,
                             pooled_size, part_size, sample_per_part, trans_std, no_trans):
    """Deformable position-sensitive ROI pooling: PSROIPooling whose bins move by
    ``trans`` (num_rois, 2*num_classes, part_size, part_size) times ``trans_std`` and the
    ROI size, averaging ``sample_per_part``^2 bilinear samples per bin."""
    op = "DeformablePSROIPooling"
    if data.ndim != 4:
        raise shape_error(op, "data", data.shape, "4-D (batch, channel, height, width)")
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise shape_error(op, "rois", rois.shape, "(num_rois, 5)")
    part = part_size or pooled_size
    n_roi, (height, width) = rois.shape[0], data.shape[2:]
    if data.shape[1] != output_dim * group_size * group_size:
        raise shape_error(op, "data", data.shape, f"{output_dim * group_size ** 2} channels "
                          "(output_dim * group_size^2)")
    if no_trans:
        n_class = 1
    else:
        if trans is None or trans.ndim != 4 or trans.shape[0] != n_roi or \
                trans.shape[2:] != (part, part) or trans.shape[1] % 2:
            raise shape_error(op, "trans", None if trans is None else trans.shape,
                              f"({n_roi}, 2 * num_classes, {part}, {part})")
        n_class = trans.shape[1] // 2
    per_class = output_dim // n_class
    dtype = data.dtype.type
    rois = lax.stop_gradient(rois).astype(data.dtype)
    # MXNet keeps these attributes as float32, also for float64 data
    scale, trans_std = dtype(_F32(spatial_scale)), dtype(_F32(trans_std))

    start_w = _round_half_away(rois[:, 1]) * scale - dtype(0.5)
    start_h = _round_half_away(rois[:, 2]) * scale - dtype(0.5)
    end_w = (_round_half_away(rois[:, 3]) + 1) * scale - dtype(0.5)
    end_h = (_round_half_away(rois[:, 4]) + 1) * scale - dtype(0.5)
    roi_w = jnp.maximum(end_w - start_w, dtype(0.1))
    roi_h = jnp.maximum(end_h - start_h, dtype(0.1))
    bin_w, bin_h = roi_w / dtype(pooled_size), roi_h / dtype(pooled_size)
    sub_w, sub_h = bin_w / dtype(sample_per_part), bin_h / dtype(sample_per_part)

    p = np.arange(pooled_size)
    part_of = np.floor(p.astype(dtype) / dtype(pooled_size) * dtype(part)).astype(int)
    group_of = _group_of(pooled_size, group_size, dtype)
    d = np.arange(output_dim)
    if no_trans:
        tx = ty = jnp.zeros((n_roi, output_dim, pooled_size, pooled_size), data.dtype)
    else:
        cls = d // per_class
        t = trans.astype(data.dtype).reshape(n_roi, n_class, 2, part, part)
        tx = t[:, cls, 0][:, :, part_of][:, :, :, part_of] * trans_std
        ty = t[:, cls, 1][:, :, part_of][:, :, :, part_of] * trans_std

    pf = p.astype(dtype)
    r = (slice(None), None, None, None)
    wstart = (pf[None, None, None, :] * bin_w[r] + start_w[r]) + tx * roi_w[r]
    hstart = (pf[None, None, :, None] * bin_h[r] + start_h[r]) + ty * roi_h[r]
    s = np.arange(sample_per_part).astype(dtype)
    # samples: (R, D, P, P, S, S), ih along axis 4 and iw along axis 5
    w = wstart[..., None, None] + s[None, :] * sub_w[:, None, None, None, None, None]
    h = hstart[..., None, None] + s[:, None] * sub_h[:, None, None, None, None, None]
    w, h = jnp.broadcast_arrays(w, h)
    valid = (w >= -0.5) & (w <= width - 0.5) & (h >= -0.5) & (h <= height - 0.5)
    w = _straight_through(w, jnp.clip(w, 0, width - 1))
    h = _straight_through(h, jnp.clip(h, 0, height - 1))
    channel = (d[:, None, None] * group_size + group_of[None, :, None]) * group_size \
        + group_of[None, None, :]                                           # (D, P, P)
    x = _roi_batch(data, rois).reshape(n_roi, -1, height * width)
    x = x[:, channel.reshape(-1)].reshape(n_roi, output_dim, pooled_size, pooled_size, -1)
    samples = _bilinear_clamped(x, h.reshape(*h.shape[:4], -1), w.reshape(*w.shape[:4], -1),
                                height, width)
    valid = valid.reshape(*valid.shape[:4], -1)
    total = jnp.sum(jnp.where(valid, samples, 0), axis=-1)
    count = jnp.sum(valid, axis=-1).astype(data.dtype)
    return jnp.where(count > 0, total / jnp.where(count > 0, count, 1), 0)


# ---------------------------------------------------------------------------------------
# RROIAlign

_RROI_MAX_GRID = 16


def _no_gradient(op):
    @jax.custom_vjp
    def identity(x):
        return x

    def fwd(x):
        return x, None

    def bwd(_, g):
        raise MXNetError(f"{op}: backward is not supported (MXNet 1.9.1 has no gradient for "
                         "this operator)")

    identity.defvjp(fwd, bwd)
    return identity


@register("_contrib_RROIAlign", inputs=("data", "rois"),
          attrs=dict(pooled_size=Required, spatial_scale=Required, sampling_ratio=-1),
          lists_input_names=True)
def rroi_align(data, rois, *, pooled_size, spatial_scale, sampling_ratio):
    """Rotated ROI Align: ``rois`` rows ``[batch_index, center_x, center_y, width, height,
    angle_degrees]``; each bin averages a grid of bilinear samples of the rotated box
    (``sampling_ratio`` per side, or ceil(bin size) when not positive).

    Adaptive grids are limited to 16 samples per bin side here; larger ROIs need an
    explicit ``sampling_ratio``. Not differentiable, as in MXNet 1.9.1."""
    op = "RROIAlign"
    pooled = (pooled_size,) * 2 if isinstance(pooled_size, int) else tuple(pooled_size)
    if len(pooled) != 2:
        raise MXNetError(f"{op}: pooled_size must be (height, width), got {pooled_size}")
    if data.ndim != 4:
        raise shape_error(op, "data", data.shape, "4-D (batch, channel, height, width)")
    if rois.ndim != 2 or rois.shape[1] != 6:
        raise shape_error(op, "rois", rois.shape, "(num_rois, 6)")
    data, rois = _no_gradient(op)(data), _no_gradient(op)(rois.astype(data.dtype))
    dtype = data.dtype.type
    (ph_n, pw_n), (height, width) = pooled, data.shape[2:]
    scale = dtype(_F32(spatial_scale))  # a float32 attribute in MXNet
    cx, cy = rois[:, 1] * scale, rois[:, 2] * scale
    roi_w = jnp.maximum(rois[:, 3] * scale, dtype(1))
    roi_h = jnp.maximum(rois[:, 4] * scale, dtype(1))
    theta = (rois[:, 5].astype(jnp.float64) * np.pi / 180.0).astype(data.dtype)
    start_h, start_w = -roi_h / dtype(2), -roi_w / dtype(2)
    bin_h, bin_w = roi_h / dtype(ph_n), roi_w / dtype(pw_n)
    if sampling_ratio > 0:
        grid_h = grid_w = jnp.full(rois.shape[0], sampling_ratio, jnp.int32)
        size_h = size_w = sampling_ratio
    else:
        grid_h = jnp.ceil(roi_h / dtype(ph_n)).astype(jnp.int32)
        grid_w = jnp.ceil(roi_w / dtype(pw_n)).astype(jnp.int32)
        size_h = size_w = _RROI_MAX_GRID
        message = (f"{op}: an ROI needs more than {_RROI_MAX_GRID} samples per bin side; "
                   "pass sampling_ratio")
        jax.debug.callback(lambda bad: _raise_if(bad, message),
                           jnp.any(jnp.maximum(grid_h, grid_w) > _RROI_MAX_GRID))
    r = (slice(None), None, None, None, None)
    ph = np.arange(ph_n).astype(dtype)[:, None, None, None]
    pw = np.arange(pw_n).astype(dtype)[None, :, None, None]
    iy = (np.arange(size_h).astype(dtype) + dtype(0.5))[None, None, :, None]
    ix = (np.arange(size_w).astype(dtype) + dtype(0.5))[None, None, None, :]
    gh, gw = grid_h.astype(data.dtype)[r], grid_w.astype(data.dtype)[r]
    yy = (start_h[r] + ph * bin_h[r]) + iy * bin_h[r] / gh                 # (R, P, P, G, G)
    xx = (start_w[r] + pw * bin_w[r]) + ix * bin_w[r] / gw
    cos, sin = jnp.cos(theta)[r], jnp.sin(theta)[r]
    x = xx * cos + yy * sin + cx[r]
    y = yy * cos - xx * sin + cy[r]
    used = (np.arange(size_h)[None, None, :, None] < grid_h[r]) & \
        (np.arange(size_w)[None, None, None, :] < grid_w[r])
    inside = ~((y < -1.0) | (y > height) | (x < -1.0) | (x > width))
    y, x = jnp.maximum(y, 0), jnp.maximum(x, 0)
    y0, x0 = jnp.floor(y), jnp.floor(x)
    last_y, last_x = y0 >= height - 1, x0 >= width - 1
    y0, x0 = jnp.where(last_y, height - 1, y0), jnp.where(last_x, width - 1, x0)
    y, x = jnp.where(last_y, y0, y), jnp.where(last_x, x0, x)
    y1, x1 = jnp.where(last_y, y0, y0 + 1), jnp.where(last_x, x0, x0 + 1)
    ly, lx = y - y0, x - x0
    weights = [(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx]
    corners = [(y0, x0), (y0, x1), (y1, x0), (y1, x1)]
    keep = (used & inside)
    feat = _roi_batch(data, rois).reshape(rois.shape[0], data.shape[1], 1, height * width)
    total = 0
    for wt, (cy_, cx_) in zip(weights, corners):
        index = (cy_ * width + cx_).astype(jnp.int32).reshape(rois.shape[0], 1, -1)
        values = jnp.take_along_axis(feat, index[:, :, None], axis=-1)[:, :, 0]
        total = total + values * jnp.where(keep, wt, 0).reshape(rois.shape[0], 1, -1)
    total = total.reshape(rois.shape[0], data.shape[1], ph_n, pw_n, size_h * size_w)
    return jnp.sum(total, axis=-1) / (gh * gw).reshape(-1, 1, 1, 1)


def _raise_if(flag, message):
    if flag:
        raise MXNetError(message)
