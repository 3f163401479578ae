"""The KVStore's arithmetic: sums of arrays that live on several devices, and 2-bit
gradient compression, each as one compiled XLA computation.

The values of one key usually sit on different devices (one per context). When they do,
they become the shards of one global array over a mesh of those devices, and a jitted
sum with a replicated output is an XLA all-reduce: one call for all the keys of a push.
When some share a device (``cpu(1)`` and ``cpu(2)`` are the same device unless
``XLA_FLAGS=--xla_force_host_platform_device_count=N``), they are moved to the merge
device first and summed there, again in one call.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["across_workers", "copies", "sum_groups", "two_bit"]


def two_bit(grad, residual, threshold):
    """MXNet's 2-bit quantization of ``grad`` as the receiver decodes it, and the new
    residual: ``residual + grad`` becomes ``threshold``, ``-threshold`` or 0 (where it is
    at least ``threshold``, at most ``-threshold``, or in between) and the remainder is
    kept for the next push."""
    acc = residual + grad
    quantized = jnp.where(acc >= threshold, threshold,
                          jnp.where(acc <= -threshold, -threshold, 0)).astype(acc.dtype)
    return quantized, acc - quantized


def _sum(values, residuals, threshold):
    """The sum of ``values`` in order (MXNet's ElementwiseSum), each first compressed with
    its residual when ``threshold`` is set; and the new residuals."""
    if threshold is None:
        return functools.reduce(jnp.add, values), None
    pairs = [two_bit(v, r, threshold) for v, r in zip(values, residuals)]
    return functools.reduce(jnp.add, [q for q, _ in pairs]), [r for _, r in pairs]


@functools.cache
def _local_sum(threshold):
    def sums(groups, residuals):
        results = [_sum(g, r, threshold) for g, r in zip(groups, residuals)]
        return [s for s, _ in results], [r for _, r in results]
    return jax.jit(sums)


@functools.cache
def _mesh_sum(devices, threshold):
    """For one tuple of distinct devices: sum each key's global array (its values are the
    shards, concatenated along the first axis) into a value replicated on every device."""
    mesh = Mesh(np.array(devices), ("dev",))
    replicated = NamedSharding(mesh, PartitionSpec())
    split = NamedSharding(mesh, PartitionSpec("dev"))
    n = len(devices)

    def sums(globals_, residuals):
        outs, new_res = [], []
        for g, r in zip(globals_, residuals):
            rows = g.shape[0] // n
            parts = [g[i * rows:(i + 1) * rows] for i in range(n)]
            res_parts = None if r is None else [r[i * rows:(i + 1) * rows] for i in range(n)]
            total, res = _sum(parts, res_parts, threshold)
            outs.append(total)
            new_res.append(None if res is None else jnp.concatenate(res))
        return outs, new_res

    return mesh, split, jax.jit(sums, out_shardings=(replicated, split))


def _global(arrays, mesh, split):
    """The arrays (one per mesh device, equal shapes) as one array split along axis 0."""
    shape = (len(arrays) * arrays[0].shape[0],) + tuple(arrays[0].shape[1:])
    return jax.make_array_from_single_device_arrays(shape, NamedSharding(mesh, split.spec),
                                                    list(arrays))


def _device(array):
    return next(iter(array.devices()))


def sum_groups(groups, targets, residuals=None, threshold=None):
    """Sum each list of ``groups`` (jax arrays of one shape and dtype) onto its device in
    ``targets``.

    ``residuals`` (with ``threshold``, 2-bit compression): per group, one residual per
    value, on that value's device. Returns the sums and the new residuals (same layout;
    ``None`` without compression).
    """
    sums = [None] * len(groups)
    new_res = [None] * len(groups)
    by_mesh, local = {}, []
    for k, group in enumerate(groups):
        if len(group) == 1 and threshold is None:  # a copy: the store keeps it
            sums[k] = jax.device_put(group[0], targets[k], may_alias=False)
            continue
        devices = tuple(_device(a) for a in group)
        if len(group) > 1 and len(set(devices)) == len(devices) and group[0].ndim > 0:
            by_mesh.setdefault(devices, []).append(k)
        else:
            local.append(k)
    for devices, keys in by_mesh.items():
        mesh, split, run = _mesh_sum(devices, threshold)
        globals_ = [_global(groups[k], mesh, split) for k in keys]
        res = [None if threshold is None else _global(residuals[k], mesh, split)
               for k in keys]
        outs, res_out = run(globals_, res)
        for k, out, r in zip(keys, outs, res_out):
            shards = {s.device: s.data for s in out.addressable_shards}
            target = targets[k]
            sums[k] = shards[target] if target in shards else jax.device_put(
                shards[devices[0]], target)
            if r is not None:
                by_dev = {s.device: s.data for s in r.addressable_shards}
                new_res[k] = [by_dev[d] for d in devices]
    if local:
        moved = [groups[k] if all(_device(a) == targets[k] for a in groups[k])
                 else jax.device_put(groups[k], targets[k]) for k in local]
        res = [None if threshold is None else
               jax.device_put(residuals[k], [targets[k]] * len(groups[k])) for k in local]
        outs, res_out = _local_sum(threshold)(moved, res)
        for k, out, r in zip(local, outs, res_out):
            sums[k] = out
            if r is not None:
                new_res[k] = [jax.device_put(x, _device(v)) for x, v in zip(r, groups[k])]
    return sums, new_res


_copy = jax.jit(lambda values: [jnp.copy(v) for v in values])


def copies(values, devices):
    """A copy of each jax array of ``values`` on its device in ``devices``: one compiled
    call per device for those already there (faster than a transfer call that copies),
    one transfer call for the others."""
    out = [None] * len(values)
    local, moves = {}, []
    for i, (value, device) in enumerate(zip(values, devices)):
        if device in value.devices():
            local.setdefault(device, []).append(i)
        else:
            moves.append(i)
    for positions in local.values():
        for i, value in zip(positions, _copy([values[i] for i in positions])):
            out[i] = value
    moved = jax.device_put([values[i] for i in moves], [devices[i] for i in moves])
    for i, value in zip(moves, moved):
        out[i] = value
    return out


@functools.cache
def _process_sum(devices):
    """For one device per worker process: sum each array over the workers (an XLA
    all-reduce on gloo or NCCL), the result on every worker."""
    mesh = Mesh(np.array(devices), ("worker",))
    replicated = NamedSharding(mesh, PartitionSpec())
    run = jax.jit(lambda globals_: [g.sum(axis=0) for g in globals_], out_shardings=replicated)
    return NamedSharding(mesh, PartitionSpec("worker")), run


def across_workers(arrays, keep_mine=True):
    """Each jax array (one per key, on one device of this worker; every worker calls with
    arrays of the same shapes, on the device of the same local index) summed over all
    worker processes. ``keep_mine=False`` contributes zeros: rank 0 calling with it set and
    the others without broadcasts rank 0's values."""
    device = _device(arrays[0])
    index = jax.local_devices(backend=device.platform).index(device)
    devices = tuple(
        [d for d in jax.devices(device.platform) if d.process_index == p][index]
        for p in range(jax.process_count()))
    split, run = _process_sum(devices)
    pieces = [(a if keep_mine else jnp.zeros_like(a)).reshape((1,) + a.shape) for a in arrays]
    globals_ = [jax.make_array_from_single_device_arrays(
        (len(devices),) + tuple(a.shape), split, [p]) for a, p in zip(arrays, pieces)]
    return [out.addressable_data(0) for out in run(globals_)]
