"""The Test optimizer (``weight += rescale_grad * grad``), used by MXNet's own tests."""

from .optimizer import Optimizer, register, scalars, zeros

__all__ = ["Test"]


@register
class Test(Optimizer):
    """``weight += rescale_grad * grad``; the state keeps a copy of the weight."""

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)

    def _hyper(self, index, weight):
        return dict(rescale_grad=self.rescale_grad)  # MXNet's Test does not count updates

    @staticmethod
    def _step(static, weight, grad, state, hyper, key):
        (rescale,) = scalars(hyper, weight.dtype, "rescale_grad")
        weight = weight + grad * rescale
        return weight, weight.astype(state.dtype)
