"""SSD-style detection operators: MultiBoxPrior, MultiBoxTarget, MultiBoxDetection, and the
box_encode / box_decode pair used by Gluon's detection models.

None of them passes a gradient (MXNet 1.9.1 writes zeros into every input gradient), so
every impl stops the gradient at its inputs. Matching, sorting and suppression are
sequential in MXNet; here matching is masked ``argmax`` steps in a ``fori_loop`` and
suppression the blocked greedy NMS of ``greedy_nms``, with the same winners and the same
tie-breaking (first index wins).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .greedy_nms import greedy_nms
from .spec import register

_F32 = np.float32


def _check_float32(op, **arrays):
    """The SSD operators are legacy float32-only kernels in MXNet 1.9.1."""
    for name, x in arrays.items():
        if x.dtype != jnp.float32:
            raise MXNetError(f"{op}: {name} must be float32, got {x.dtype} (unsupported "
                             "data type)")


def _floats(value):
    return tuple(float(v) for v in (value if isinstance(value, (tuple, list)) else (value,)))


# ---------------------------------------------------------------------------------------
# MultiBoxPrior

@register("_contrib_MultiBoxPrior",
          attrs=dict(sizes=(1.0,), ratios=(1.0,), clip=False, steps=(-1.0, -1.0),
                     offsets=(0.5, 0.5)), lists_input_names=True)
def multibox_prior(data, *, sizes, ratios, clip, steps, offsets):
    """Anchor boxes ``(1, H*W*(len(sizes)+len(ratios)-1), 4)`` as ``[xmin, ymin, xmax,
    ymax]`` in fractions of the feature map, centred on every position of ``data``'s
    last two axes: every size at the first ratio, then every other ratio at the first
    size."""
    op = "MultiBoxPrior"
    _check_float32(op, data=data)
    sizes, ratios, steps, offsets = map(_floats, (sizes, ratios, steps, offsets))
    if data.ndim < 4:
        raise shape_error(op, "data", data.shape, "4-D (batch, channel, y, x)")
    if len(steps) != 2 or len(offsets) != 2 or not sizes or not ratios:
        raise MXNetError(f"{op}: steps and offsets need 2 values and sizes, ratios at "
                         f"least one (got steps={steps}, offsets={offsets})")
    h, w = data.shape[2], data.shape[3]
    step_y, step_x = (_F32(s) for s in steps)
    if step_y <= 0 or step_x <= 0:
        step_y, step_x = _F32(1) / _F32(h), _F32(1) / _F32(w)
    # (half width, half height) per anchor, in float32 and MXNet's order of operations
    half = [(_F32(s) * _F32(h) / _F32(w) * _F32(np.sqrt(_F32(ratios[0]))) / _F32(2),
             _F32(s) / _F32(np.sqrt(_F32(ratios[0]))) / _F32(2)) for s in sizes]
    half += [(_F32(sizes[0]) * _F32(h) / _F32(w) * _F32(np.sqrt(_F32(r))) / _F32(2),
              _F32(sizes[0]) / _F32(np.sqrt(_F32(r))) / _F32(2)) for r in ratios[1:]]
    half = np.array(half, _F32)                                       # (K, 2)
    cy = (np.arange(h, dtype=_F32) + _F32(offsets[0])) * step_y
    cx = (np.arange(w, dtype=_F32) + _F32(offsets[1])) * step_x
    cy, cx = (np.broadcast_to(c[..., None], (h, w, len(half))) for c in
              np.meshgrid(cy, cx, indexing="ij"))
    boxes = np.stack([cx - half[:, 0], cy - half[:, 1], cx + half[:, 0], cy + half[:, 1]],
                     axis=-1).reshape(1, -1, 4)
    if clip:
        boxes = np.clip(boxes, 0, 1)
    return jnp.asarray(boxes, data.dtype)


# ---------------------------------------------------------------------------------------
# Shared box arithmetic

def _corner_iou(a, b, zero_when_empty_union):
    """IoU of corner boxes ``a[..., i, :]`` with ``b[..., j, :]`` -> ``[..., i, j]``."""
    a, b = a[..., :, None, :], b[..., None, :, :]
    w = jnp.maximum(0, jnp.minimum(a[..., 2], b[..., 2]) - jnp.maximum(a[..., 0], b[..., 0]))
    h = jnp.maximum(0, jnp.minimum(a[..., 3], b[..., 3]) - jnp.maximum(a[..., 1], b[..., 1]))
    inter = w * h
    union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
             + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
    bad = union <= 0 if zero_when_empty_union else union == 0
    return jnp.where(bad, 0, inter / jnp.where(bad, 1, union))


def _check_variances(op, variances):
    variances = _floats(variances)
    if len(variances) != 4:
        raise MXNetError(f"{op}: variances must have 4 values, got {variances}")
    return variances


# ---------------------------------------------------------------------------------------
# MultiBoxTarget

def _loc_targets(anchors, gt, variances):
    """SSD regression targets of ground truths ``gt`` for ``anchors`` (float32 math)."""
    anchors, gt = anchors.astype(_F32), gt.astype(_F32)
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = (anchors[:, 0] + anchors[:, 2]) * 0.5, (anchors[:, 1] + anchors[:, 3]) * 0.5
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = (gt[:, 0] + gt[:, 2]) * 0.5, (gt[:, 1] + gt[:, 3]) * 0.5
    vx, vy, vw, vh = (_F32(v) for v in variances)
    return jnp.stack([(gx - ax) / aw / vx, (gy - ay) / ah / vy,
                      jnp.log(gw / aw) / vw, jnp.log(gh / ah) / vh], axis=-1)


def _target_one(anchors, labels, cls_pred, *, overlap_threshold, ignore_label,
                negative_mining_ratio, negative_mining_thresh, variances):
    """MultiBoxTarget for one image: anchors (A, 4), labels (L, W), cls_pred (C, A)."""
    n_anchor, n_label = anchors.shape[0], labels.shape[0]
    # ground truths are the labels before the first one whose class is -1
    valid = jnp.cumsum(labels[:, 0] == -1) == 0
    iou = _corner_iou(anchors, labels[:, 1:5], False).astype(_F32)    # (A, L)
    iou_valid = jnp.where(valid[None, :], iou, -jnp.inf)

    # 1) greedy bipartite matching: the best remaining (anchor, ground truth) pair each step
    def bipartite(_, state):
        positive, gt_done, match, done = state
        masked = jnp.where(positive[:, None] | gt_done[None, :], -jnp.inf, iou_valid)
        flat = jnp.argmax(masked.reshape(-1))
        j, k = flat // n_label, (flat % n_label).astype(jnp.int32)
        ok = ~done & (masked.reshape(-1)[flat] > _F32(1e-6))
        return (positive.at[j].set(positive[j] | ok), gt_done.at[k].set(gt_done[k] | ok),
                match.at[j].set(jnp.where(ok, k, match[j])), done | ~ok)

    init = (jnp.zeros(n_anchor, bool), jnp.zeros(n_label, bool),
            jnp.zeros(n_anchor, jnp.int32), jnp.asarray(False))
    positive, _, match, _ = lax.fori_loop(0, n_label, bipartite, init)

    # 2) every other anchor: its best ground truth, positive above the threshold
    best_gt = jnp.argmax(iou_valid, axis=1).astype(jnp.int32)
    best_iou = jnp.max(iou_valid, axis=1)
    if overlap_threshold > 0:
        extra = ~positive & (best_iou > _F32(overlap_threshold))
        match = jnp.where(extra, best_gt, match)
        positive = positive | extra

    # 3) negatives: the hardest (lowest background probability) or all the rest
    if negative_mining_ratio > 0:
        if not negative_mining_thresh > 0:
            raise MXNetError("MultiBoxTarget: negative_mining_thresh must be > 0")
        n_pos = jnp.sum(positive)
        n_neg = jnp.floor(n_pos.astype(_F32) * _F32(negative_mining_ratio)).astype(jnp.int32)
        n_neg = jnp.minimum(n_neg, n_anchor - n_pos)
        candidate = ~positive & (best_iou < _F32(negative_mining_thresh))
        top = jnp.max(cls_pred, axis=0)
        prob = jnp.exp(cls_pred[0] - top) / jnp.sum(jnp.exp(cls_pred - top), axis=0)
        order = jnp.argsort(jnp.where(candidate, prob, jnp.inf), stable=True)
        rank = jnp.zeros(n_anchor, jnp.int32).at[order].set(jnp.arange(n_anchor, dtype=jnp.int32))
        negative = candidate & (rank < n_neg)
    else:
        negative = ~positive

    gt_boxes = labels[match, 1:5]
    loc = jnp.where(positive[:, None], _loc_targets(anchors, gt_boxes, variances), 0)
    mask = jnp.broadcast_to(positive[:, None], (n_anchor, 4))
    cls = jnp.where(positive, labels[match, 0] + 1,
                    jnp.where(negative, 0, _F32(ignore_label)))
    has_gt = jnp.any(valid)
    loc, mask = jnp.where(has_gt, loc, 0), jnp.where(has_gt, mask, False)
    cls = jnp.where(has_gt, cls, _F32(ignore_label))
    return loc.reshape(-1), mask.reshape(-1), cls


@register("_contrib_MultiBoxTarget",
          inputs=("anchor", "label", "cls_pred"),
          attrs=dict(overlap_threshold=0.5, ignore_label=-1.0, negative_mining_ratio=-1.0,
                     negative_mining_thresh=0.5, minimum_negative_samples=0,
                     variances=(0.1, 0.1, 0.2, 0.2)),
          num_outputs=3, output_names=("loc_target", "loc_mask", "cls_target"),
          zero_gradient=True, lists_input_names=True)
def multibox_target(anchor, label, cls_pred, *, overlap_threshold, ignore_label,
                    negative_mining_ratio, negative_mining_thresh, minimum_negative_samples,
                    variances):
    """SSD training targets: ``(loc_target, loc_mask, cls_target)`` of shapes
    ``(B, A*4)``, ``(B, A*4)``, ``(B, A)``. Anchors match ground truths greedily by IoU,
    then by ``overlap_threshold``; positives get class + 1, negatives 0 and the rest
    ``ignore_label``."""
    op = "MultiBoxTarget"
    variances = _check_variances(op, variances)
    _check_float32(op, anchor=anchor, label=label, cls_pred=cls_pred)
    if anchor.ndim != 3 or anchor.shape[0] != 1 or anchor.shape[2] != 4:
        raise shape_error(op, "anchor", anchor.shape, "(1, num_anchors, 4)")
    if label.ndim != 3 or label.shape[2] < 5:
        raise shape_error(op, "label", label.shape, "(batch, num_labels, >=5)")
    if cls_pred.ndim != 3 or cls_pred.shape[2] != anchor.shape[1]:
        raise shape_error(op, "cls_pred", cls_pred.shape,
                          f"(batch, num_classes, {anchor.shape[1]})")
    anchor, label, cls_pred = (lax.stop_gradient(x) for x in (anchor, label, cls_pred))
    fn = jax.vmap(lambda lab, pred: _target_one(
        anchor[0], lab, pred, overlap_threshold=overlap_threshold, ignore_label=ignore_label,
        negative_mining_ratio=negative_mining_ratio,
        negative_mining_thresh=negative_mining_thresh, variances=variances))
    loc, mask, cls = fn(label, cls_pred)
    dtype = anchor.dtype
    return loc.astype(dtype), mask.astype(dtype), cls.astype(dtype)


# ---------------------------------------------------------------------------------------
# MultiBoxDetection

def _decode_ssd(anchors, loc, variances, clip):
    """Corner boxes from SSD offsets ``loc`` (A, 4) relative to ``anchors`` (A, 4)."""
    vx, vy, vw, vh = (jnp.asarray(v, anchors.dtype) for v in variances)
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = (anchors[:, 0] + anchors[:, 2]) / 2, (anchors[:, 1] + anchors[:, 3]) / 2
    ox, oy = loc[:, 0] * vx * aw + ax, loc[:, 1] * vy * ah + ay
    ow, oh = jnp.exp(loc[:, 2] * vw) * aw / 2, jnp.exp(loc[:, 3] * vh) * ah / 2
    boxes = jnp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
    return jnp.clip(boxes, 0, 1) if clip else boxes


def _detect_one(cls_prob, loc_pred, anchors, *, threshold, clip, variances, nms_threshold,
                force_suppress, nms_topk):
    n_anchor = anchors.shape[0]
    dtype = cls_prob.dtype
    fg = cls_prob[1:]
    if fg.shape[0]:
        top = jnp.max(fg, axis=0)
        found = top > -1
        cls_id = jnp.where(found, jnp.argmax(fg, axis=0) + 1, 0)
        score = jnp.where(found, top, -1).astype(dtype)
    else:
        cls_id, score = jnp.zeros(n_anchor, jnp.int32), jnp.full(n_anchor, -1, dtype)
    cls_id = jnp.where((cls_id > 0) & (score < jnp.asarray(threshold, dtype)), 0, cls_id)
    rows = jnp.concatenate([(cls_id - 1).astype(dtype)[:, None], score[:, None],
                            _decode_ssd(anchors, loc_pred.reshape(n_anchor, 4), variances,
                                        clip)], axis=1)
    # detections (class >= 0) move to the front, in anchor order; the rest is -1
    valid = cls_id > 0
    n_valid = jnp.sum(valid)
    index = jnp.arange(n_anchor)
    packed = rows[jnp.argsort(~valid, stable=True)]
    packed = jnp.where((index < n_valid)[:, None], packed, -1)
    if not 0 < nms_threshold <= 1:
        return packed
    keep = n_valid if nms_topk <= 0 else jnp.minimum(n_valid, nms_topk)
    order = jnp.argsort(jnp.where(index < n_valid, -packed[:, 1], jnp.inf), stable=True)
    ranked = packed[order]
    # sorted rows up to keep; rows past keep (but valid) keep their place with class -1
    out = jnp.where((index < keep)[:, None], ranked,
                    packed.at[:, 0].set(jnp.where(index < n_valid, -1, packed[:, 0])))
    boxes, cls = out[:, 2:], out[:, 0]

    def suppresses(rows, cols):
        hit = _corner_iou(boxes[rows], boxes[cols], True) >= nms_threshold
        return hit if force_suppress else hit & (cls[rows][:, None] == cls[cols][None, :])

    candidate = (index < keep) & (cls >= 0)
    kept, _ = greedy_nms(n_anchor, suppresses, candidate)
    out = out.at[:, 0].set(jnp.where(candidate & ~kept, -1, cls))
    return jnp.where(n_valid > 0, out, packed)


@register("_contrib_MultiBoxDetection",
          inputs=("cls_prob", "loc_pred", "anchor"),
          attrs=dict(clip=True, threshold=0.01, background_id=0, nms_threshold=0.5,
                     force_suppress=False, variances=(0.1, 0.1, 0.2, 0.2), nms_topk=-1),
          lists_input_names=True)
def multibox_detection(cls_prob, loc_pred, anchor, *, clip, threshold, background_id,
                       nms_threshold, force_suppress, variances, nms_topk):
    """Decode SSD predictions into ``(B, A, 6)`` rows ``[class, score, xmin, ymin, xmax,
    ymax]``: detections first, sorted by score, with non-maximum suppression (per class
    unless ``force_suppress``) marking suppressed rows with class -1. As in MXNet 1.9.1,
    class 0 is always the background (``background_id`` is not used)."""
    op = "MultiBoxDetection"
    variances = _check_variances(op, variances)
    _check_float32(op, cls_prob=cls_prob, loc_pred=loc_pred, anchor=anchor)
    if cls_prob.ndim != 3:
        raise shape_error(op, "cls_prob", cls_prob.shape, "(batch, num_classes, num_anchors)")
    n_anchor = cls_prob.shape[2]
    if anchor.ndim != 3 or anchor.shape[1] != n_anchor or anchor.shape[2] != 4:
        raise shape_error(op, "anchor", anchor.shape, f"(1, {n_anchor}, 4)")
    if loc_pred.ndim != 2 or loc_pred.shape[1] != 4 * n_anchor:
        raise shape_error(op, "loc_pred", loc_pred.shape, f"(batch, {4 * n_anchor})")
    cls_prob, loc_pred, anchor = (lax.stop_gradient(x) for x in (cls_prob, loc_pred, anchor))
    anchors = anchor[0].astype(cls_prob.dtype)
    # one image after another: the NMS loop stops early per image, which vmap would undo
    return lax.map(lambda args: _detect_one(
        *args, anchors, threshold=threshold, clip=clip, variances=variances,
        nms_threshold=nms_threshold, force_suppress=force_suppress, nms_topk=nms_topk),
        (cls_prob, loc_pred.astype(cls_prob.dtype)))


# ---------------------------------------------------------------------------------------
# box_encode, box_decode

@register("_contrib_box_encode", inputs=("samples", "matches", "anchors", "refs", "means",
                                         "stds"), num_outputs=2, lists_input_names=True)
def box_encode(samples, matches, anchors, refs, means, stds):
    """Regression targets ``((ref_center - anchor_center) / anchor_size - mean) / std``
    (log size ratios for width and height) of each anchor against its matched reference
    box, and a mask that is 1 where ``samples > 0.5``. Boxes are corners."""
    op = "box_encode"
    if samples.ndim != 2:
        raise shape_error(op, "samples", samples.shape, "(B, N)")
    if anchors.ndim != 3 or anchors.shape[-1] != 4:
        raise shape_error(op, "anchors", anchors.shape, "(B, N, 4)")
    if refs.ndim != 3 or refs.shape[-1] != 4:
        raise shape_error(op, "refs", refs.shape, "(B, M, 4)")
    for name, v in (("means", means), ("stds", stds)):
        if tuple(v.shape) != (4,):
            raise shape_error(op, name, v.shape, (4,))
    samples, matches, anchors, refs, means, stds = (
        lax.stop_gradient(x) for x in (samples, matches, anchors, refs, means, stds))
    b, n = anchors.shape[:2]
    idx = matches.reshape(b, n).astype(jnp.int32)
    ref = jnp.take_along_axis(refs, idx[..., None], axis=1, mode="clip")

    def center(box):
        w, h = box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]
        return box[..., 0] + w * 0.5, box[..., 1] + h * 0.5, w, h

    rx, ry, rw, rh = center(ref)
    ax, ay, aw, ah = center(anchors)
    raw = jnp.stack([(rx - ax) / aw, (ry - ay) / ah, jnp.log(rw / aw), jnp.log(rh / ah)], -1)
    valid = samples.reshape(b, n, 1) > 0.5
    targets = jnp.where(valid, (raw - means) / stds, 0).astype(anchors.dtype)
    return targets, jnp.broadcast_to(valid, targets.shape).astype(anchors.dtype)


@register("_contrib_box_decode", inputs=("data", "anchors"),
          attrs=dict(std0=1.0, std1=1.0, std2=1.0, std3=1.0, clip=-1.0, format="center"),
          lists_input_names=True)
def box_decode(data, anchors, *, std0, std1, std2, std3, clip, format):
    """Corner boxes from encoded offsets ``data`` (B, N, 4) and ``anchors`` (1, N, 4) in
    ``format`` 'corner' or 'center'; width/height offsets are clipped at ``clip`` (when
    positive) before the exponential."""
    op = "box_decode"
    if data.ndim != 3 or data.shape[-1] != 4:
        raise shape_error(op, "data", data.shape, "(B, N, 4)")
    if anchors.ndim < 3 or anchors.shape[-1] != 4:
        raise shape_error(op, "anchors", anchors.shape, "(1, N, 4)")
    if format not in ("corner", "center"):
        raise MXNetError(f"{op}: format must be 'corner' or 'center', got {format!r}")
    data, anchors = lax.stop_gradient(data), lax.stop_gradient(anchors)
    dtype = data.dtype
    a = anchors.reshape(-1, 4)[:data.shape[1]].astype(dtype)
    ax, ay, aw, ah = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
    if format == "corner":
        aw, ah = aw - ax, ah - ay
        ax, ay = ax + aw * 0.5, ay + ah * 0.5
    s0, s1, s2, s3, c = (jnp.asarray(v, dtype) for v in (std0, std1, std2, std3, clip))
    ox, oy = data[..., 0] * s0 * aw + ax, data[..., 1] * s1 * ah + ay
    dw, dh = data[..., 2] * s2, data[..., 3] * s3
    if clip > 0:
        dw, dh = jnp.where(dw < c, dw, c), jnp.where(dh < c, dh, c)
    ow, oh = jnp.exp(dw) * aw * 0.5, jnp.exp(dh) * ah * 0.5
    return jnp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
