"""Seed 001: ``autograd.grad`` with ``create_graph=True``; prints what MXNet prints:

    [
    [3.7182817 3.7182817]
    <NDArray 2 @cpu(0)>]
"""

import mxjax as mx

x = mx.nd.ones((2,))
x.attach_grad()
with mx.autograd.record():
    z = mx.nd.elemwise_add(mx.nd.exp(x), x)
dx_grad = mx.autograd.grad(z, [x], create_graph=True)
print(dx_grad)

# The returned gradient is itself differentiable: d/dx (exp(x) + 1) = exp(x).
dx_grad[0].backward()
print(x.grad)
