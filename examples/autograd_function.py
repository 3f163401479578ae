"""Seed 001: a custom differentiable sigmoid with ``mx.autograd.Function``.

Run: ``python examples/autograd_function.py`` (or, unchanged MXNet code,
``mxjax run examples/autograd_function.py``).
"""

import mxjax as mx


class sigmoid(mx.autograd.Function):
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


func = sigmoid()
x = mx.nd.random.uniform(shape=(10,))
x.attach_grad()
with mx.autograd.record():
    m = func(x)
m.backward()
dx_grad = x.grad.asnumpy()
print(repr(dx_grad))

# The gradient equals the analytic sigmoid'(x) = s(x) * (1 - s(x)).
s = 1 / (1 + mx.nd.exp(-x))
assert abs(dx_grad - (s * (1 - s)).asnumpy()).max() < 1e-6
