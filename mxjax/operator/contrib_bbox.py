"""Bounding-box utilities of ``mx.nd.contrib``: box_iou, box_nms (alias
box_non_maximum_suppression) and bipartite_matching. Boxes are 4 numbers, ``'corner'``
(x1, y1, x2, y2) or ``'center'`` (x, y, width, height)."""

import jax
import jax.numpy as jnp
from jax import lax

from ..base import MXNetError, shape_error
from .spec import Required, register

_FORMATS = ("corner", "center")


def _check_format(op, name, value):
    if value not in _FORMATS:
        raise MXNetError(f"{op}: invalid {name} {value!r}; valid values are {list(_FORMATS)}")


def _edges(box, fmt):
    """(x1, y1, x2, y2) of boxes in the last axis."""
    if fmt == "corner":
        return box[..., 0], box[..., 1], box[..., 2], box[..., 3]
    x, y, w, h = box[..., 0], box[..., 1], box[..., 2] / 2, box[..., 3] / 2
    return x - w, y - h, x + w, y + h


def _area(box, fmt):
    w, h = (box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]) if fmt == "corner" else \
        (box[..., 2], box[..., 3])
    return jnp.where((w < 0) | (h < 0), 0, w * h)


def _intersection(a, b, fmt):
    """Overlap area of boxes ``a`` and ``b`` (broadcast against each other)."""
    ax1, ay1, ax2, ay2 = _edges(a, fmt)
    bx1, by1, bx2, by2 = _edges(b, fmt)
    w = jnp.minimum(ax2, bx2) - jnp.maximum(ax1, bx1)
    h = jnp.minimum(ay2, by2) - jnp.maximum(ay1, by1)
    return jnp.maximum(w, 0) * jnp.maximum(h, 0)


@register("_contrib_box_iou", inputs=("lhs", "rhs"), attrs=dict(format="corner"),
          lists_input_names=True)
def box_iou(lhs, rhs, *, format):  # noqa: A002 - MXNet's argument name
    """Intersection over union of every box in ``lhs`` (..., 4) with every box in ``rhs``
    (..., 4): shape ``lhs.shape[:-1] + rhs.shape[:-1]``."""
    _check_format("box_iou", "format", format)
    for name, x in (("lhs", lhs), ("rhs", rhs)):
        if x.ndim < 1 or x.shape[-1] != 4:
            raise shape_error("box_iou", name, x.shape, "(..., 4)")
    # MXNet 1.9.1 documents zero gradients for box_iou
    lhs, rhs = lax.stop_gradient(lhs), lax.stop_gradient(rhs)
    a = lhs.reshape(lhs.shape[:-1] + (1,) * (rhs.ndim - 1) + (4,))
    inter = _intersection(a, rhs, format)
    union = _area(a, format) + _area(rhs, format) - inter
    return inter / union


def _convert(boxes, in_format, out_format):
    """Boxes converted between formats, skipping rows whose first coordinate is negative
    (MXNet's rule, which also leaves the -1 rows alone)."""
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    if out_format == "center":
        new = jnp.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)
    else:
        new = jnp.stack([x1 - x2 / 2, y1 - y2 / 2, x1 + x2 / 2, y1 + y2 / 2], axis=-1)
    return jnp.where(x1[..., None] < 0, boxes, new)


def _nms_one(data, cfg):
    """box_nms of one (N, W) batch."""
    (overlap, valid_thresh, topk, coord, score_index, id_index, background, force,
     in_format, out_format) = cfg
    n = data.shape[0]
    scores = data[:, score_index]
    valid = scores > jnp.asarray(valid_thresh, jnp.float32).astype(data.dtype)
    if id_index >= 0:
        valid = valid & (data[:, id_index] != jnp.asarray(background, data.dtype))
    # valid boxes by decreasing score (ties in input order), the others after them
    order = jnp.argsort(jnp.where(valid, -scores, jnp.inf), stable=True)
    rank_valid = valid[order]
    boxes = data[order, coord:coord + 4]
    areas = _area(boxes, in_format)
    ious = _intersection(boxes[:, None], boxes[None], in_format)
    ious = ious / (areas[:, None] + areas[None] - ious)
    same = jnp.ones((n, n), bool)
    if id_index >= 0 and not force:
        ids = data[order, id_index].astype(jnp.int32)
        same = ids[:, None] == ids[None]
    suppress = (ious > jnp.asarray(overlap, jnp.float32)) & same & \
        (jnp.arange(n)[None] > jnp.arange(n)[:, None])
    keep0 = rank_valid & (jnp.arange(n) < topk)

    def step(ref, keep):
        return jnp.where(keep[ref], keep & ~suppress[ref], keep)

    keep = lax.fori_loop(0, min(topk, n), step, keep0)
    # kept boxes to the front, in order; every other row is -1
    slot = jnp.where(keep, jnp.cumsum(keep) - 1, n)
    rows = jnp.full((n + 1,), -1, jnp.int32).at[slot].set(order.astype(jnp.int32))[:n]
    out = jnp.where((rows >= 0)[:, None], data[jnp.maximum(rows, 0)],
                    jnp.asarray(-1, data.dtype))
    if in_format != out_format:
        coords = out[:, coord:coord + 4]
        # MXNet's backward copies the head gradient straight to the kept input rows,
        # ignoring the format conversion.
        converted = coords + lax.stop_gradient(_convert(coords, in_format, out_format) - coords)
        # (concatenated: a scatter here miscompiles on XLA CPU after vmap and reshape)
        out = jnp.concatenate([out[:, :coord], converted, out[:, coord + 4:]], axis=1)
    return out


@register("_contrib_box_nms", aliases=("_contrib_box_non_maximum_suppression",),
          attrs=dict(overlap_thresh=0.5, valid_thresh=0.0, topk=-1, coord_start=2,
                     score_index=1, id_index=-1, background_id=-1, force_suppress=False,
                     in_format="corner", out_format="corner"),
          dynamic=("overlap_thresh", "valid_thresh", "background_id"))
def box_nms(data, *, overlap_thresh, valid_thresh, topk, coord_start, score_index, id_index,
            background_id, force_suppress, in_format, out_format):
    """Greedy non-maximum suppression of (..., N, W) boxes: boxes scoring above
    ``valid_thresh`` (and not of class ``background_id``), best first, the ``topk`` best
    only, each suppressing later ones of the same class (any class with
    ``force_suppress``) that overlap it by more than ``overlap_thresh`` IoU. The kept rows
    come first, in score order; the rest are -1."""
    op = "box_nms"
    _check_format(op, "in_format", in_format)
    _check_format(op, "out_format", out_format)
    if data.ndim < 2:
        raise shape_error(op, "data", data.shape, "(..., num_box, box_width)")
    n, width = data.shape[-2:]
    needed = 6 if id_index >= 0 else 5
    coord_end = coord_start + 3
    if width < needed or not 0 <= score_index < width or not 0 <= coord_start or \
            coord_end >= width or coord_start <= score_index <= coord_end:
        raise shape_error(op, "data", data.shape, f"rows of at least {needed} values with "
                          "score and coordinates in range and apart",
                          score_index=score_index, coord_start=coord_start)
    if id_index >= 0 and (id_index >= width or id_index == score_index or
                          coord_start <= id_index <= coord_end):
        raise MXNetError(f"{op}: id_index {id_index} conflicts with the score or coordinates "
                         f"or is out of range for rows of {width} values")
    topk = n if topk < 0 else min(n, topk)
    if topk < 1:
        return data
    # the thresholds and background_id are traced: new values do not recompile
    cfg = (overlap_thresh, valid_thresh, topk, coord_start, score_index, id_index,
           background_id, bool(force_suppress), in_format, out_format)
    flat = data.reshape(-1, n, width)
    return jax.vmap(lambda d: _nms_one(d, cfg))(flat).reshape(data.shape)


def _match_one(scores, threshold, is_ascend, topk):
    rows, cols = scores.shape
    flat = scores.reshape(-1)
    order = jnp.argsort(flat if is_ascend else -flat, stable=True)
    limit = rows * cols if topk <= 0 else topk

    def step(state, idx):
        row_mark, col_mark, count, done = state
        idx = idx.astype(jnp.int32)
        r, c = idx // cols, idx % cols
        free = (row_mark[r] < 0) & (col_mark[c] < 0) & ~done
        good = flat[idx] < threshold if is_ascend else flat[idx] > threshold
        take = free & good & (count < limit)
        row_mark = jnp.where(take, row_mark.at[r].set(c), row_mark)
        col_mark = jnp.where(take, col_mark.at[c].set(r), col_mark)
        # the first free pair failing the threshold ends the matching
        done = done | (free & ~good)
        return (row_mark, col_mark, count + take, done), None

    init = (jnp.full(rows, -1, jnp.int32), jnp.full(cols, -1, jnp.int32), jnp.int32(0),
            jnp.bool_(False))
    (row_mark, col_mark, _, _), _ = lax.scan(step, init, order)
    return row_mark.astype(scores.dtype), col_mark.astype(scores.dtype)


@register("_contrib_bipartite_matching", attrs=dict(is_ascend=False, threshold=Required,
                                                    topk=-1),
          num_outputs=2)
def bipartite_matching(data, *, is_ascend, threshold, topk):
    """Greedy matching of the rows and columns of (..., N, M) scores, best pair first
    (highest, or lowest with ``is_ascend``) while scores pass ``threshold``, at most
    ``topk`` pairs: the matched column of each row and row of each column (-1: none)."""
    if data.ndim < 2:
        raise shape_error("bipartite_matching", "data", data.shape, "(..., N, M)")
    rows, cols = data.shape[-2:]
    flat = data.reshape(-1, rows, cols)
    row_mark, col_mark = jax.vmap(
        lambda s: _match_one(s, float(threshold), bool(is_ascend), int(topk)))(flat)
    return (lax.stop_gradient(row_mark.reshape(data.shape[:-1])),
            lax.stop_gradient(col_mark.reshape(data.shape[:-2] + (cols,))))
