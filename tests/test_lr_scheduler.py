"""``mx.lr_scheduler`` against MXNet 1.9.1: the exact learning rate sequences (calls in
order and with jumps, which show how each schedule changes ``base_lr``), an optimizer's
``learning_rate`` overriding the schedule's, and the argument errors."""

import json

import pytest

import mxjax as mx
from tests.reference import optim_cases as oc
from tests.reference.generate_optim import JSON

with open(JSON, encoding="utf-8") as _f:
    META = json.load(_f)


@pytest.mark.parametrize("sid", sorted(oc.SCHEDULES))
@pytest.mark.parametrize("calls", sorted(oc.SCHEDULE_CALLS))
def test_schedule_matches_mxnet(sid, calls):
    name, kwargs = oc.SCHEDULES[sid]
    got = oc.run_schedule(mx, name, kwargs, oc.SCHEDULE_CALLS[calls])
    assert got == META["schedule"][sid][calls]  # exactly: same float64 arithmetic


@pytest.mark.parametrize("sid", sorted(oc.SCHEDULES))
def test_optimizer_learning_rate_overrides_schedule(sid):
    name, kwargs = oc.SCHEDULES[sid]
    assert oc.run_optimizer_override(mx, name, kwargs, 0.7) == META["override"][sid]


@pytest.mark.parametrize("eid", sorted(oc.SCHEDULE_ERRORS))
def test_bad_arguments_raise_like_mxnet(eid):
    name, kwargs = oc.SCHEDULE_ERRORS[eid]
    assert oc.run_schedule_error(mx, name, kwargs) == META["schedule_error"][eid]


def test_base_class_must_be_overridden():
    with pytest.raises(NotImplementedError):
        mx.lr_scheduler.LRScheduler()(3)
