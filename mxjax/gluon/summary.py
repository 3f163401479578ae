"""``Block.summary``: the per-layer table MXNet prints (output shapes, parameter counts)."""

from ..ndarray.ndarray import NDArray

__all__ = ["print_summary"]

_LINE = "{:>20}  {:>42} {:>15}"


def _shape_str(args):
    """Shapes of a (nested) output as MXNet prints them: ``(2, 3)`` or ``(2, 3), (2,)``."""
    def shapes(a):
        if isinstance(a, (list, tuple)):
            return [shapes(x) for x in a]
        return a.shape if isinstance(a, NDArray) else a

    result = shapes(args)
    return str(result)[1:-1] if isinstance(result, list) else str(result)


def print_summary(block, *inputs):
    """Run ``block(*inputs)`` with hooks on every layer and print MXNet's summary table."""
    from .block import HybridBlock
    from .nn.basic_layers import HybridSequential, Sequential

    rows = {"Input": {"output_shape": _shape_str(list(inputs)), "n_params": 0,
                      "trainable": 0, "shared": 0}}
    seen, hooks = set(), []

    def hook(layer, _, outputs):
        row = {"output_shape": _shape_str(outputs), "n_params": 0, "trainable": 0,
               "shared": 0}
        for p in layer.params.values():
            size = p.data().size
            row["n_params"] += size
            row["trainable"] += 0 if p.grad_req == "null" else size
            if p in seen:
                row["shared"] += size
            else:
                seen.add(p)
        rows[f"{type(layer).__name__}-{len(rows)}"] = row

    def register(layer):
        if isinstance(layer, HybridBlock) and layer._active:  # MXNet raises AssertionError
            raise AssertionError(f'"{layer.name}" must not be hybridized to print summary.')
        if not isinstance(layer, (Sequential, HybridSequential)):
            hooks.append(layer.register_forward_hook(hook))

    try:
        block.apply(register)
        block(*inputs)
        print("-" * 80)
        print(_LINE.format("Layer (type)", "Output Shape", "Param #"))
        print("=" * 80)
        for name, row in rows.items():
            print(_LINE.format(name, str(row["output_shape"]), row["n_params"]))
        total = sum(r["n_params"] for r in rows.values())
        trainable = sum(r["trainable"] for r in rows.values())
        shared = sum(r["shared"] for r in rows.values())
        print("=" * 80)
        print("Parameters in forward computation graph, duplicate included")
        print(f"   Total params: {total}")
        print(f"   Trainable params: {trainable}")
        print(f"   Non-trainable params: {total - trainable}")
        print(f"Shared params in forward computation graph: {shared}")
        print(f"Unique parameters in model: {total - shared}")
        print("-" * 80)
    finally:
        for h in hooks:
            h.detach()
