"""Optimizer, lr_scheduler and Trainer cases, runnable on MXNet 1.9.1 or on mxjax.

Every ``run_*`` function takes the library as ``mx`` and imports nothing but numpy and
the standard library, so ``generate_optim.py`` records MXNet's results with the very
code the tests run on mxjax. Inputs come from numpy generators seeded by the case id.
"""

import zlib
from typing import NamedTuple

import numpy as np


def rng_for(case_id):
    return np.random.default_rng(zlib.crc32(case_id.encode()))


def pack(pieces):
    """Named arrays as one float64 vector (exact for float16/32) and a layout of
    'name:shape:dtype' strings; one golden entry per case keeps the file small."""
    layout = [f"{name}:{'x'.join(map(str, a.shape))}:{a.dtype.name}" for name, a in pieces]
    flat = [np.asarray(a, np.float64).ravel() for _, a in pieces]
    return (np.concatenate(flat) if flat else np.zeros(0)), layout


def unpack(flat, layout):
    out, pos = {}, 0
    for item in layout:
        name, shape, dtype = item.rsplit(":", 2)
        shape = tuple(int(d) for d in shape.split("x")) if shape else ()
        size = int(np.prod(shape))
        out[name] = flat[pos:pos + size].reshape(shape).astype(dtype)
        pos += size
    return out


def opt_pieces(record):
    return [(f"{step}:w{i}", w) for step, (weights, _, _) in enumerate(record)
            for i, w in enumerate(weights)] + \
        [(f"{step}:s{i}_{j}", s) for step, (_, states, _) in enumerate(record)
         for i, st in enumerate(states) for j, s in enumerate(st)]


def trainer_pieces(record):
    return [(f"{step}:p{i}", p) for step, (params, _) in enumerate(record)
            for i, p in enumerate(params)]


def flat_state(state):
    """A state (None, an NDArray or nested tuples of them) as a list of numpy arrays."""
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [a for s in state for a in flat_state(s)]
    return [state.asnumpy()]


# ---- optimizers through Optimizer.update and the Updater ---------------------------------
class OptCase(NamedTuple):
    """``mx.optimizer.create(opt, **kwargs)`` run ``steps`` times over weights of
    ``shapes``; ``path`` 'updater' calls an Updater with all indices at once (as Trainer
    does), 'update' calls ``update_multi_precision`` index by index."""

    opt: str
    kwargs: dict
    path: str = "updater"
    dtype: str = "float32"
    shapes: tuple = ((3, 4), (4,), (2, 3))
    steps: int = 3
    scheduler: tuple = None  # (class name in mx.lr_scheduler, kwargs)
    idx2name: dict = None
    lr_mult: dict = None
    wd_mult: dict = None


def make_optimizer(mx, opt, kwargs, scheduler=None, idx2name=None, lr_mult=None,
                   wd_mult=None):
    kwargs = dict(kwargs)
    if scheduler is not None:
        kwargs["lr_scheduler"] = getattr(mx.lr_scheduler, scheduler[0])(**scheduler[1])
    if idx2name is not None:
        kwargs["param_idx2name"] = {int(k): v for k, v in idx2name.items()}
    o = mx.optimizer.create(opt, **kwargs)
    if lr_mult is not None:
        o.set_lr_mult({int(k) if k.isdigit() else k: v for k, v in lr_mult.items()})
    if wd_mult is not None:
        o.set_wd_mult({int(k) if k.isdigit() else k: v for k, v in wd_mult.items()})
    return o


def run_opt_case(mx, cid, case):
    """Per step: the weights, then each weight's state arrays, then the learning rate."""
    rng = rng_for(cid)
    o = make_optimizer(mx, case.opt, case.kwargs, case.scheduler, case.idx2name,
                       case.lr_mult, case.wd_mult)
    weights = [mx.nd.array(rng.normal(size=s), dtype=case.dtype) for s in case.shapes]
    indices = list(range(len(weights)))
    updater = mx.optimizer.get_updater(o)
    states = [o.create_state_multi_precision(i, w) for i, w in zip(indices, weights)] \
        if case.path == "update" else None
    record = []
    for _ in range(case.steps):
        grads = [mx.nd.array(rng.normal(size=s) * 0.5, dtype=case.dtype)
                 for s in case.shapes]
        if case.path == "updater":
            updater(indices, grads, weights)
            now = [updater.states[i] for i in indices]
        else:
            for i in indices:
                o.update_multi_precision(i, weights[i], grads[i], states[i])
            now = states
        record.append(([w.asnumpy() for w in weights], [flat_state(s) for s in now],
                       float(o.learning_rate)))
    return record


def _opt_cases():
    cases = {}
    wide = dict(wd=0.01, rescale_grad=0.5, clip_gradient=0.3)
    names = {"0": "fc_weight", "1": "fc_bias", "2": "bn_gamma"}
    mults = dict(idx2name=names, lr_mult={"0": 2.0, "bn_gamma": 0.5},
                 wd_mult={"fc_bias": 0.5})
    warm = ("FactorScheduler", dict(step=2, factor=0.5, base_lr=0.1, warmup_steps=2,
                                    warmup_begin_lr=0.02))

    def add(cid, opt, kwargs, paths=("updater", "update"), **options):
        for path in paths:
            cases[f"{cid}/{path}"] = OptCase(opt, kwargs, path=path, **options)

    add("sgd", "sgd", dict(learning_rate=0.1))
    add("sgd-mom-wd", "sgd", dict(learning_rate=0.1, momentum=0.9, wd=1e-3))
    add("sgd-mom-clip", "sgd", dict(learning_rate=0.1, momentum=0.9, **wide))
    add("sgd-mults", "sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01), **mults)
    add("sgd-schedule", "sgd", dict(momentum=0.9), scheduler=warm, steps=6)
    add("sgd-fp16-mp", "sgd", dict(learning_rate=0.1, momentum=0.9, multi_precision=True,
                                   wd=0.01), dtype="float16")
    add("sgd-fp16-mp-nomom", "sgd", dict(learning_rate=0.1, multi_precision=True),
        dtype="float16")
    add("ccsgd", "ccsgd", dict(learning_rate=0.1, momentum=0.5, wd=0.01))
    add("nag", "nag", dict(learning_rate=0.1))
    add("nag-mom-clip", "nag", dict(learning_rate=0.1, momentum=0.9, **wide))
    add("nag-fp16-mp", "nag", dict(learning_rate=0.1, momentum=0.9, multi_precision=True,
                                   wd=0.01), dtype="float16")
    add("signum", "signum", dict(learning_rate=0.01))
    add("signum-nomom", "signum", dict(learning_rate=0.01, momentum=0.0, wd=0.01))
    add("signum-wd_lh-clip", "signum", dict(learning_rate=0.01, wd_lh=0.1, **wide))
    add("lars", "lars", dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.01))
    add("lars-names-schedule", "lars", dict(momentum=0.9, wd=0.01, eta=0.01, eps=1e-3,
                                            clip_gradient=0.3),
        idx2name=names, scheduler=("MultiFactorScheduler",
                                   dict(step=[1, 2], factor=0.5, base_lr=0.2)), steps=4)
    add("lars-fp16-mp", "lars", dict(learning_rate=0.1, momentum=0.9, multi_precision=True,
                                     eta=0.01), dtype="float16")
    add("lbsgd", "lbsgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01))
    add("lbsgd-batch_scale", "lbsgd", dict(learning_rate=0.1, batch_scale=2, warmup_epochs=1,
                                           updates_per_epoch=2), steps=4)
    add("dcasgd", "dcasgd", dict(learning_rate=0.1, lamda=0.1, **wide))
    add("adam", "adam", dict(learning_rate=0.01))
    add("adam-wd-clip", "adam", dict(learning_rate=0.01, **wide))
    add("adam-mults", "adam", dict(learning_rate=0.01, wd=0.01), **mults)
    add("adam-schedule", "adam", dict(),
        scheduler=("PolyScheduler", dict(max_update=6, base_lr=0.01, pwr=2, warmup_steps=2,
                                         warmup_begin_lr=0.001)), steps=5)
    add("adam-fp16-mp", "adam", dict(learning_rate=0.01, multi_precision=True, wd=0.01),
        dtype="float16")
    add("adamax", "adamax", dict(learning_rate=0.01))
    add("adamax-wd-clip", "adamax", dict(learning_rate=0.01, **wide))
    add("nadam", "nadam", dict(learning_rate=0.01))
    add("nadam-wd-clip", "nadam", dict(learning_rate=0.01, schedule_decay=0.01, **wide))
    add("ftml", "ftml", dict(learning_rate=0.01))
    add("ftml-wd-clip", "ftml", dict(learning_rate=0.01, beta1=0.5, **wide))
    add("lamb", "lamb", dict(learning_rate=0.01))
    add("lamb-wd-clip-bounds", "lamb", dict(learning_rate=0.01, lower_bound=0.5,
                                            upper_bound=1.5, **wide))
    add("lamb-nobias", "lamb", dict(learning_rate=0.01, bias_correction=False, wd=0.01))
    # Only through the Updater: MXNet's one-weight path never updates the float32 master
    # copy (mp_lamb_update_phase2 leaves it), so its weights do not move on; mxjax fixes it.
    add("lamb-fp16-mp", "lamb", dict(learning_rate=0.01, multi_precision=True, wd=0.01),
        dtype="float16", paths=("updater",))
    add("rmsprop", "rmsprop", dict(learning_rate=0.01))
    add("rmsprop-centered-clip", "rmsprop", dict(learning_rate=0.01, centered=True,
                                                 clip_weights=1.0, gamma2=0.8, **wide))
    add("adagrad", "adagrad", dict(learning_rate=0.1))
    add("adagrad-wd-clip", "adagrad", dict(learning_rate=0.1, eps=1e-5, **wide))
    add("adadelta", "adadelta", dict())
    add("adadelta-wd-clip", "adadelta", dict(rho=0.8, epsilon=1e-4, **wide))
    add("ftrl", "ftrl", dict())
    add("ftrl-wd-clip", "ftrl", dict(learning_rate=0.2, lamda1=0.05, beta=0.5, **wide))
    add("groupadagrad", "groupadagrad", dict(learning_rate=0.1), shapes=((3, 4), (2, 3)))
    add("groupadagrad-clip", "groupadagrad", dict(learning_rate=0.1, rescale_grad=0.5,
                                                  clip_gradient=0.3), shapes=((3, 4), (2, 3)))
    add("test", "test", dict(rescale_grad=0.5))
    add("sgd-cosine", "sgd", dict(learning_rate=0.1),
        scheduler=("CosineScheduler", dict(max_update=4, base_lr=0.1, final_lr=0.01,
                                           warmup_steps=1, warmup_begin_lr=0.05)), steps=5)
    return cases


OPT_CASES = _opt_cases()


# ---- update operators called directly -----------------------------------------------------
class OpCase(NamedTuple):
    """``func(*arrays, **attrs)`` where ``func`` is ``mx.nd.<name>`` (``contrib.x`` and
    ``_internal.x`` allowed); ``inputs`` are (shape, dtype, kind) with kind 'w' (normal),
    'g' (normal * 0.5), 'pos' (positive), 'z' (zeros), 'lr' (small positive), 'bad' (with a
    NaN). ``out`` gives the input positions written through ``out=`` (None: no out)."""

    func: str
    inputs: tuple
    attrs: dict
    out: tuple = None
    rsp_grad: bool = False  # MXNet computes it only for a row_sparse gradient
    lists: int = 0  # > 0: inputs interleave that many per-weight lists (weights, grads, ...)


def _draw(rng, shape, dtype, kind):
    if kind == "z":
        return np.zeros(shape, dtype)
    if kind == "pos":
        return np.abs(rng.normal(size=shape)).astype(dtype) * 0.1 + 0.01
    if kind == "lr":
        return rng.uniform(0.01, 0.1, size=shape).astype(dtype)
    value = rng.normal(size=shape) * (0.5 if kind == "g" else 1.0)
    if kind == "bad":
        value.flat[1] = np.nan
    return value.astype(dtype)


def run_op_case(mx, cid, case):
    """The op's result(s), then every input as it is after the call."""
    rng = rng_for(cid)
    arrays = [mx.nd.array(_draw(rng, s, d, k), dtype=d) for s, d, k in case.inputs]
    if case.rsp_grad and hasattr(mx.nd, "sparse"):
        arrays[1] = arrays[1].tostype("row_sparse")
    func = mx.nd
    for part in case.func.split("."):
        func = getattr(func, part)
    kwargs = dict(case.attrs)
    if case.out is not None:
        outs = [arrays[i] for i in case.out]
        kwargs["out"] = outs if len(outs) > 1 else outs[0]
    args = [arrays[i::case.lists] for i in range(case.lists)] if case.lists else arrays
    result = func(*args, **kwargs)
    results = result if isinstance(result, (list, tuple)) else [result]
    return [r.asnumpy() for r in results] + [a.asnumpy() for a in arrays]


def _op_cases():
    f32, f16 = "float32", "float16"
    w, g = ((3, 4), f32, "w"), ((3, 4), f32, "g")
    z, p = ((3, 4), f32, "z"), ((3, 4), f32, "pos")
    w16, g16 = ((3, 4), f16, "w"), ((3, 4), f16, "g")
    w32 = ((3, 4), f32, "w")  # a master weight (any values will do)
    clip = dict(wd=0.01, rescale_grad=0.5, clip_gradient=0.3)
    cases = {}

    def add(cid, func, inputs, attrs, out=(0,), **options):
        cases[cid] = OpCase(func, tuple(inputs), attrs, out, **options)

    for sfx, extra in (("", {}), ("-clip", clip)):
        add(f"sgd_update{sfx}", "sgd_update", [w, g], dict(lr=0.1, **extra))
        add(f"sgd_mom_update{sfx}", "sgd_mom_update", [w, g, p], dict(lr=0.1, momentum=0.9,
                                                                      **extra))
        add(f"mp_sgd_update{sfx}", "mp_sgd_update", [w16, g16, w32], dict(lr=0.1, **extra))
        add(f"mp_sgd_mom_update{sfx}", "mp_sgd_mom_update", [w16, g16, p, w32],
            dict(lr=0.1, momentum=0.9, **extra))
        add(f"nag_mom_update{sfx}", "nag_mom_update", [w, g, p],
            dict(lr=0.1, momentum=0.9, **extra))
        add(f"mp_nag_mom_update{sfx}", "mp_nag_mom_update", [w16, g16, p, w32],
            dict(lr=0.1, momentum=0.9, **extra))
        add(f"signsgd_update{sfx}", "signsgd_update", [w, g], dict(lr=0.1, **extra))
        add(f"signum_update{sfx}", "signum_update", [w, g, p],
            dict(lr=0.1, momentum=0.9, wd_lh=0.05, **extra))
        add(f"adam_update{sfx}", "adam_update", [w, g, p, p], dict(lr=0.01, **extra))
        add(f"ftml_update{sfx}", "ftml_update", [w, g, p, p, g],
            dict(lr=0.01, t=3, **{k.replace("clip_gradient", "clip_grad"): v
                                  for k, v in extra.items()}))
        add(f"rmsprop_update{sfx}", "rmsprop_update", [w, g, p],
            dict(lr=0.01, **extra, **({"clip_weights": 0.8} if extra else {})))
        add(f"rmspropalex_update{sfx}", "rmspropalex_update", [w, g, p, z, g],
            dict(lr=0.01, gamma2=0.8, **extra, **({"clip_weights": 0.8} if extra else {})))
        add(f"ftrl_update{sfx}", "ftrl_update", [w, g, g, p], dict(lr=0.1, lamda1=0.05,
                                                                   **extra))
        add(f"lamb_update_phase1{sfx}", "lamb_update_phase1", [w, g, p, p],
            dict(t=2, **({"wd": 0.0} | extra)), out=None)
        add(f"mp_lamb_update_phase1{sfx}", "mp_lamb_update_phase1", [w16, g16, p, p, w32],
            dict(t=2, **({"wd": 0.0} | extra)), out=None)
        add(f"adamw_update{sfx}", "contrib.adamw_update", [w, g, p, p],
            dict(rescale_grad=0.5, lr=0.01, eta=0.9,
                 **{k: v for k, v in extra.items() if k != "rescale_grad"}))
        add(f"mp_adamw_update{sfx}", "contrib.mp_adamw_update", [w16, g16, p, p, w32],
            dict(rescale_grad=0.5, lr=0.01, eta=0.9,
                 **{k: v for k, v in extra.items() if k != "rescale_grad"}))
    add("lamb_update_phase1-nobias", "lamb_update_phase1", [w, g, p, p],
        dict(t=2, wd=0.01, bias_correction=False), out=None)
    r = ((1,), f32, "pos")
    add("lamb_update_phase2", "lamb_update_phase2", [w, g, r, r], dict(lr=0.1))
    add("lamb_update_phase2-bounds", "lamb_update_phase2", [w, g, r, r],
        dict(lr=0.1, lower_bound=0.5, upper_bound=0.6))
    add("lamb_update_phase2-zero", "lamb_update_phase2", [w, g, ((1,), f32, "z"), r],
        dict(lr=0.1))
    add("mp_lamb_update_phase2", "mp_lamb_update_phase2", [w16, g, r, r, w32], dict(lr=0.1))
    add("adam_update-fp64", "adam_update", [((3,), "float64", "w"), ((3,), "float64", "g"),
                                            ((3,), "float64", "pos"), ((3,), "float64", "pos")],
        dict(lr=0.01, wd=0.1))
    add("_adamw_update", "_internal._adamw_update", [w, g, p, p, ((1,), f32, "lr")],
        dict(lr=0.01, eta=1.0, wd=0.1))
    add("_adamw_update-skip", "_internal._adamw_update", [w, g, p, p, ((1,), f32, "z")],
        dict(lr=0.01, eta=1.0))
    add("_mp_adamw_update", "_internal._mp_adamw_update", [w16, g16, p, p, w32,
                                                           ((1,), f32, "lr")],
        dict(lr=0.01, eta=1.0, wd=0.1))
    add("group_adagrad_update", "contrib.group_adagrad_update", [w, g, ((3, 1), f32, "pos")],
        dict(lr=0.1, rescale_grad=0.5, clip_gradient=0.3), rsp_grad=True)
    # several weights at once
    w2, g2, p2 = ((2, 3), f32, "w"), ((2, 3), f32, "g"), ((2, 3), f32, "pos")
    w216, g216, w232 = ((2, 3), f16, "w"), ((2, 3), f16, "g"), ((2, 3), f32, "w")
    lrs = dict(lrs=(0.1, 0.05), wds=(0.0, 0.01))
    mom = dict(momentum=0.9, rescale_grad=0.5, clip_gradient=0.2)
    add("multi_sgd_update", "multi_sgd_update", [w, g, w2, g2], dict(num_weights=2, **lrs),
        out=(0, 2))
    add("multi_sgd_mom_update", "multi_sgd_mom_update", [w, g, p, w2, g2, p2],
        dict(num_weights=2, **lrs, **mom), out=(0, 3))
    add("multi_mp_sgd_update", "multi_mp_sgd_update", [w16, g16, w32, w216, g216, w232],
        dict(num_weights=2, **lrs, rescale_grad=0.5), out=(0, 3))
    add("multi_mp_sgd_mom_update", "multi_mp_sgd_mom_update",
        [w16, g16, p, w32, w216, g216, p2, w232], dict(num_weights=2, **lrs, **mom),
        out=(0, 4))
    pre = [((2,), f32, "lr"), ((2,), f32, "lr")]
    add("preloaded_multi_sgd_update", "preloaded_multi_sgd_update", [w, g, w2, g2, *pre],
        dict(num_weights=2), out=(0, 2))
    add("preloaded_multi_sgd_mom_update", "preloaded_multi_sgd_mom_update",
        [w, g, p, w2, g2, p2, *pre], dict(num_weights=2, **mom), out=(0, 3))
    add("preloaded_multi_mp_sgd_update", "preloaded_multi_mp_sgd_update",
        [w16, g16, w32, w216, g216, w232, *pre], dict(num_weights=2), out=(0, 3))
    add("preloaded_multi_mp_sgd_mom_update", "preloaded_multi_mp_sgd_mom_update",
        [w16, g16, p, w32, w216, g216, p2, w232, *pre], dict(num_weights=2, **mom),
        out=(0, 4))
    add("multi_sum_sq", "multi_sum_sq", [w, g2, ((5,), f32, "w")], dict(num_arrays=3),
        out=None)
    pos3 = ((3,), f32, "pos")
    add("multi_lars", "multi_lars", [((3,), f32, "lr"), pos3, pos3, ((3,), f32, "lr")],
        dict(eta=0.01, eps=1e-3, rescale_grad=0.5), out=None)
    add("multi_lars-zero", "multi_lars", [((3,), f32, "lr"), ((3,), f32, "z"), pos3, pos3],
        dict(eta=0.01, eps=0.0), out=None)
    add("all_finite", "all_finite", [w], {}, out=None)
    add("all_finite-nan", "all_finite", [((3, 4), f32, "bad")], {}, out=None)
    add("multi_all_finite", "multi_all_finite", [w, ((2,), f32, "bad")], dict(num_arrays=2),
        out=None)
    add("_multi_adamw_update", "_internal._multi_adamw_update",
        [w, g, p, p, w2, g2, p2, p2, ((1,), f32, "lr")],
        dict(lrs=(0.01, 0.02), wds=(0.0, 0.1), etas=(1.0, 0.5), clip_gradient=0.3,
             num_weights=2), out=(0, 4))
    add("_multi_mp_adamw_update", "_internal._multi_mp_adamw_update",
        [w16, g16, p, p, w32, w216, g216, p2, p2, w232, ((1,), f32, "lr")],
        dict(lrs=(0.01, 0.02), wds=(0.0, 0.1), etas=(1.0, 0.5), num_weights=2), out=(0, 5))
    lamb = dict(learning_rates=(0.01, 0.02), wds=(0.0, 0.1), step_count=(1, 3), num_tensors=2)
    add("_multi_lamb_update", "_internal._multi_lamb_update", [w, g, p, p, w2, g2, p2, p2],
        dict(**lamb, rescale_grad=0.5, clip_gradient=0.3), out=(0, 4))
    add("_multi_lamb_update-bounds", "_internal._multi_lamb_update",
        [w, g, p, p, w2, g2, p2, p2],
        dict(**lamb, lower_bound=0.5, upper_bound=1.0, bias_correction=False), out=(0, 4))
    add("_multi_mp_lamb_update", "_internal._multi_mp_lamb_update",
        [w16, g16, p, p, w32, w216, g216, p2, p2, w232], dict(**lamb), out=(0, 5))
    # mx.nd.contrib's Python wrappers: lists of weights, gradients and states (MXNet 1.9.1
    # fails without out=: the operator returns fewer outputs than it declares)
    adamw = dict(lrs=(0.01, 0.02), wds=(0.0, 0.1), etas=(1.0, 0.5))
    add("contrib.multi_adamw_update", "contrib.multi_adamw_update",
        [w, g, p, p, w2, g2, p2, p2], dict(rescale_grad=0.5, clip_gradient=0.3, **adamw),
        out=(0, 4), lists=4)
    add("contrib.multi_mp_adamw_update", "contrib.multi_mp_adamw_update",
        [w16, g16, p, p, w32, w216, g216, p2, p2, w232], dict(rescale_grad=0.5, **adamw),
        out=(0, 5), lists=5)
    lamb_lists = dict(lrs=(0.01, 0.02), wds=(0.0, 0.1), step_count=(1, 3))
    add("contrib.multi_lamb_update", "contrib.multi_lamb_update",
        [w, g, p, p, w2, g2, p2, p2], dict(rescale_grad=0.5, clip_gradient=0.3, **lamb_lists),
        out=(0, 4), lists=4)
    add("contrib.multi_mp_lamb_update", "contrib.multi_mp_lamb_update",
        [w16, g16, p, p, w32, w216, g216, p2, p2, w232], dict(**lamb_lists), out=(0, 5),
        lists=5)
    return cases


OP_CASES = _op_cases()


# ---- learning rate schedules ----------------------------------------------------------------
SCHEDULES = {
    "factor": ("FactorScheduler", dict(step=3, factor=0.5)),
    "factor-stop": ("FactorScheduler", dict(step=2, factor=0.1, stop_factor_lr=1e-3,
                                            base_lr=0.5)),
    "factor-warmup-linear": ("FactorScheduler", dict(step=2, factor=0.7, base_lr=0.1,
                                                     warmup_steps=4, warmup_begin_lr=0.01)),
    "factor-warmup-constant": ("FactorScheduler", dict(step=2, factor=0.7, base_lr=0.1,
                                                       warmup_steps=3, warmup_begin_lr=0.02,
                                                       warmup_mode="constant")),
    "multifactor": ("MultiFactorScheduler", dict(step=[2, 5, 9], factor=0.3, base_lr=1.0)),
    "multifactor-warmup": ("MultiFactorScheduler", dict(step=[4, 6], factor=0.5, base_lr=0.2,
                                                        warmup_steps=3,
                                                        warmup_begin_lr=0.1)),
    "poly": ("PolyScheduler", dict(max_update=10, base_lr=0.1, pwr=2)),
    "poly-final-warmup": ("PolyScheduler", dict(max_update=12, base_lr=0.3, pwr=1.5,
                                                final_lr=0.01, warmup_steps=3,
                                                warmup_begin_lr=0.05)),
    "cosine": ("CosineScheduler", dict(max_update=10, base_lr=0.1)),
    "cosine-final-warmup": ("CosineScheduler", dict(max_update=12, base_lr=0.3, final_lr=0.02,
                                                    warmup_steps=4, warmup_begin_lr=0.0,
                                                    warmup_mode="constant")),
}
SCHEDULE_CALLS = {"increasing": list(range(0, 16)),
                  "jumps": [0, 7, 3, 12, 1, 20, 8]}

SCHEDULE_ERRORS = {
    "factor-step0": ("FactorScheduler", dict(step=0)),
    "factor-grows": ("FactorScheduler", dict(step=2, factor=1.5)),
    "multifactor-unsorted": ("MultiFactorScheduler", dict(step=[3, 2])),
    "multifactor-step0": ("MultiFactorScheduler", dict(step=[0, 2])),
    "multifactor-grows": ("MultiFactorScheduler", dict(step=[1], factor=2.0)),
    "poly-max0": ("PolyScheduler", dict(max_update=0)),
    "cosine-max0": ("CosineScheduler", dict(max_update=0)),
    "warmup-mode": ("FactorScheduler", dict(step=2, warmup_mode="exp")),
    "warmup-begin-above": ("PolyScheduler", dict(max_update=5, base_lr=0.1,
                                                 warmup_begin_lr=0.2)),
    "warmup-negative": ("CosineScheduler", dict(max_update=5, warmup_steps=-1)),
}


def run_schedule(mx, name, kwargs, calls):
    s = getattr(mx.lr_scheduler, name)(**kwargs)
    return [float(s(n)) for n in calls] + [float(s.base_lr)]


def run_schedule_error(mx, name, kwargs):
    try:
        getattr(mx.lr_scheduler, name)(**kwargs)
    except Exception as e:  # noqa: BLE001 - the type and message are the golden
        return [type(e).__name__, str(e)]
    return None


def run_optimizer_override(mx, name, kwargs, learning_rate):
    """An optimizer's learning_rate overriding the scheduler's base_lr."""
    o = mx.optimizer.SGD(learning_rate=learning_rate,
                         lr_scheduler=getattr(mx.lr_scheduler, name)(**kwargs))
    lrs = []
    for n in range(12):
        o.num_update = n
        lrs.append(float(o.learning_rate))
    return lrs


# ---- gluon.Trainer on a tiny network -----------------------------------------------------------
class TrainerCase(NamedTuple):
    """A Dense(4)-Dense(2) net with seeded parameters, L2 loss on a batch of 4, ``steps``
    Trainer steps. ``set_lr``: learning rates set before each step; ``mults``: (param
    suffix, 'lr_mult' or 'wd_mult', value); ``reload``: save the states after this many
    steps, make a new Trainer with learning rate 0.5 and load them into it."""

    opt: str
    kwargs: dict
    steps: int = 3
    scheduler: tuple = None
    set_lr: tuple = None
    mults: tuple = ()
    reload: int = 0


def _trainer_cases():
    c = {}
    c["sgd-mom-wd"] = TrainerCase("sgd", dict(learning_rate=0.1, momentum=0.9, wd=1e-3))
    c["sgd-mults"] = TrainerCase("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01),
                                 mults=(("dense0_weight", "lr_mult", 2.0),
                                        ("dense1_bias", "wd_mult", 0.0),
                                        ("dense1_weight", "lr_mult", 0.0)))
    c["sgd-schedule"] = TrainerCase("sgd", dict(momentum=0.9), steps=5, scheduler=(
        "FactorScheduler", dict(step=1, factor=0.5, base_lr=0.2, warmup_steps=2,
                                warmup_begin_lr=0.05)))
    c["sgd-set_lr"] = TrainerCase("sgd", dict(learning_rate=0.1, momentum=0.9),
                                  set_lr=(0.1, 0.05, 0.3))
    c["sgd-reload"] = TrainerCase("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01),
                                  steps=4, reload=2)
    c["adam-reload"] = TrainerCase("adam", dict(learning_rate=0.01, wd=0.01), steps=4,
                                   reload=2)
    # (No float16 cases: MXNet 1.9.1 has no float16 FullyConnected on CPU; the Updater
    # cases cover multi-precision, through the same code path the Trainer uses.)
    simple = dict(nag=dict(learning_rate=0.1, momentum=0.9, wd=0.01),
                  adam=dict(learning_rate=0.01, clip_gradient=0.5, wd=0.01),
                  adamax=dict(learning_rate=0.01), nadam=dict(learning_rate=0.01),
                  ftml=dict(learning_rate=0.01), lamb=dict(learning_rate=0.01, wd=0.01),
                  lars=dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.01),
                  rmsprop=dict(learning_rate=0.01, centered=True),
                  adagrad=dict(learning_rate=0.1), adadelta=dict(wd=0.01),
                  ftrl=dict(learning_rate=0.1), signum=dict(learning_rate=0.01),
                  dcasgd=dict(learning_rate=0.1), test=dict(), ccsgd=dict(learning_rate=0.1),
                  lbsgd=dict(learning_rate=0.1, momentum=0.9))
    for name, kwargs in simple.items():
        c[name] = TrainerCase(name, kwargs)
    return c


TRAINER_CASES = _trainer_cases()


def make_net(mx, cid):
    rng = rng_for(cid)
    net = mx.gluon.nn.Sequential(prefix="net_")
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(4, in_units=3), mx.gluon.nn.Dense(2, in_units=4))
    net.initialize()
    for name in sorted(net.collect_params().keys()):
        p = net.collect_params()[name]
        p.set_data(mx.nd.array(rng.normal(size=p.shape) * 0.5))
    return net, mx.nd.array(rng.normal(size=(4, 3))), mx.nd.array(rng.normal(size=(4, 2)))


def make_trainer(mx, net, case, kwargs=None):
    kwargs = dict(case.kwargs if kwargs is None else kwargs)
    if case.scheduler is not None:
        kwargs["lr_scheduler"] = getattr(mx.lr_scheduler, case.scheduler[0])(
            **case.scheduler[1])
    return mx.gluon.Trainer(net.collect_params(), case.opt, kwargs)


def run_trainer_case(mx, cid, case, states_file):
    """Per step: every parameter (sorted by name), then the trainer's learning rate."""
    net, x, y = make_net(mx, cid)
    params = net.collect_params()
    for suffix, attr, value in case.mults:
        setattr(params["net_" + suffix], attr, value)
    trainer = make_trainer(mx, net, case)
    loss_fn = mx.gluon.loss.L2Loss()
    record = []
    for step in range(case.steps):
        if case.reload and step == case.reload:
            trainer.save_states(states_file)
            trainer = make_trainer(mx, net, case, dict(case.kwargs, learning_rate=0.5))
            trainer.load_states(states_file)
        if case.set_lr is not None:
            trainer.set_learning_rate(case.set_lr[step])
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        record.append(([params[k].data().asnumpy() for k in sorted(params.keys())],
                       float(trainer.learning_rate)))
    return record
