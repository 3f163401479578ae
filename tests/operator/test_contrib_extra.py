"""Contrib detection/deformable/quantization behaviours the operator goldens cannot record
(tests/reference/op_cases.py holds the value checks against MXNet 1.9.1)."""

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError


def test_rroi_align_has_no_gradient():
    # MXNet 1.9.1: "Operator _contrib_RROIAlign is non-differentiable" on backward
    data = mx.nd.array(np.random.default_rng(0).uniform(size=(1, 2, 6, 6)))
    rois = mx.nd.array([[0, 3, 3, 4, 2, 30]])
    data.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.RROIAlign(data, rois, pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(MXNetError, match="RROIAlign"):
        out.backward()


def test_modulated_deformable_conv_gradient_matches_deformable_conv():
    # MXNet 1.9.1 has this gradient on GPU only; away from the borders, with mask 1, both
    # operators sample identically, so their gradients must agree.
    rng = np.random.default_rng(1)
    # samples at [0.1, 6.4]: inside the 8 x 8 map, clear of the last row and column
    data = mx.nd.array(rng.normal(size=(1, 2, 8, 8)))
    offset = mx.nd.array(rng.uniform(0.1, 0.4, size=(1, 18, 3, 3)))
    weight = mx.nd.array(rng.normal(size=(3, 2, 3, 3)))
    mask = mx.nd.ones((1, 9, 3, 3))
    grads = []
    for modulated in (False, True):
        arrays = [data.copy(), offset.copy(), weight.copy()]
        for a in arrays:
            a.attach_grad()
        with mx.autograd.record():
            if modulated:
                out = mx.nd.contrib.ModulatedDeformableConvolution(
                    arrays[0], arrays[1], mask, arrays[2], kernel=(3, 3), stride=(2, 2),
                    num_filter=3, no_bias=True)
            else:
                out = mx.nd.contrib.DeformableConvolution(
                    arrays[0], arrays[1], arrays[2], kernel=(3, 3), stride=(2, 2),
                    num_filter=3, no_bias=True)
        out.backward(mx.nd.ones_like(out))
        grads.append([a.grad.asnumpy() for a in arrays])
    for g0, g1 in zip(*grads):
        np.testing.assert_allclose(g0, g1, rtol=1e-4, atol=1e-5)


def test_multi_updates_work_without_out():
    # MXNet 1.9.1 fails here (the operator returns fewer outputs than it declares)
    w = [mx.nd.ones((2, 2)), mx.nd.ones((3,))]
    g = [mx.nd.ones((2, 2)), mx.nd.ones((3,))]
    states = [[mx.nd.zeros(x.shape) for x in w] for _ in range(2)]
    new = mx.nd.contrib.multi_lamb_update(w, g, *states, step_count=[1, 1], lrs=[0.1, 0.1],
                                          wds=[0.0, 0.0])
    assert [x.shape for x in new] == [(2, 2), (3,)]
    assert (states[0][0].asnumpy() != 0).all()


def test_contrib_namespace_holds_the_contrib_operators():
    assert mx.contrib.nd.MultiBoxPrior is mx.nd.contrib.MultiBoxPrior
    assert mx.contrib.sym.Proposal is mx.sym.contrib.Proposal


def test_detection_ops_agree_eagerly_and_in_symbols():
    rng = np.random.default_rng(2)
    corner = rng.uniform(0, 0.6, (1, 12, 2))
    anchors = np.concatenate([corner, corner + rng.uniform(0.1, 0.4, corner.shape)], -1)
    inputs = {"cls_prob": rng.uniform(size=(2, 3, 12)), "loc_pred": rng.normal(size=(2, 48)),
              "anchor": anchors}
    eager = mx.nd.contrib.MultiBoxDetection(*[mx.nd.array(v) for v in inputs.values()],
                                            nms_threshold=0.2)
    sym = mx.sym.contrib.MultiBoxDetection(*[mx.sym.var(k) for k in inputs], nms_threshold=0.2)
    out = sym.eval(**{k: mx.nd.array(v) for k, v in inputs.items()})[0]
    np.testing.assert_array_equal(eager.asnumpy(), out.asnumpy())


def test_quantized_ops_that_mxnet_cannot_run_raise():
    q = mx.nd.array([[1, 2]], dtype="int8")
    r = mx.nd.array([1.0])
    with pytest.raises(MXNetError, match="quantized_elemwise_mul"):
        mx.nd.contrib.quantized_elemwise_mul(q, q, -r, r, -r, r)
