"""Greedy non-maximum suppression in blocks, shared by the detection operators.

Boxes come in priority order; a box is kept when no kept box before it suppresses it
(and fewer than ``limit`` are kept). Rather than one step per box over all boxes, each
block of boxes is first checked against the boxes kept in earlier blocks at once, then
resolved inside the block; the loop ends as soon as ``limit`` boxes are kept. The result
is exactly the sequential algorithm's.
"""

import jax.numpy as jnp
from jax import lax

__all__ = ["greedy_nms"]


def _resolve_block(alive, inside):
    """Greedy keep/suppress inside one block: box j stays iff it is alive and no kept box
    i < j suppresses it. Iterating that rule from "all alive" fixes one more box per
    round at least; it stops at the (unique) fixed point, usually after a few rounds."""

    def step(state):
        taken, _ = state
        new = alive & ~jnp.any(inside & taken[:, None], axis=0)
        return new, jnp.any(new != taken)

    taken, _ = lax.while_loop(lambda state: state[1], step, (alive, jnp.asarray(True)))
    return taken


def greedy_nms(n, suppresses, candidate, limit=None, block=128):
    """Which of ``n`` boxes greedy NMS keeps, and how many: ``(kept (n,) bool, count)``.

    ``suppresses(rows, cols)`` gives a ``(len(rows), len(cols))`` bool matrix: whether a
    kept box ``row`` removes box ``col`` (asked only for ``col > row``). ``candidate``
    marks the boxes that may be kept at all.
    """
    size = min(block, n)
    n_blocks = -(-n // size)
    total = n_blocks * size
    limit = total if limit is None else min(limit, total)
    cand = jnp.zeros(total, bool).at[:n].set(candidate)
    local = jnp.arange(size, dtype=jnp.int32)
    later = local[None, :] > local[:, None]
    slots = jnp.arange(limit)

    def block_step(state):
        k, kept, found, count = state
        rows = jnp.minimum(k * size + local, n - 1)
        # boxes kept so far (``found``, in order) against this block
        earlier = jnp.any(suppresses(found, rows) & (slots < count)[:, None], axis=0)
        alive = lax.dynamic_slice(cand, (k * size,), (size,)) & ~earlier
        taken = _resolve_block(alive, suppresses(rows, rows) & later)
        # the sequential loop stops at `limit` kept boxes: later ones are dropped
        position = count + jnp.cumsum(taken) - 1
        taken = taken & (position < limit)
        found = found.at[jnp.where(taken, position, limit)].set(rows, mode="drop")
        count = count + jnp.sum(taken, dtype=jnp.int32)
        return k + 1, lax.dynamic_update_slice(kept, taken, (k * size,)), found, count

    def more(state):
        k, _, _, count = state
        return (k < n_blocks) & (count < limit)

    init = (jnp.int32(0), jnp.zeros(total, bool), jnp.zeros(limit, jnp.int32), jnp.int32(0))
    _, kept, _, count = lax.while_loop(more, block_step, init)
    return kept[:n], count
