"""Optimizer, lr_scheduler and Trainer goldens from real MXNet 1.9.1.

    /work/refvenv/bin/python tests/reference/generate_optim.py

The cases and the code that runs them live in ``optim_cases.py`` (numpy only; the tests
run the same functions on mxjax). ``goldens/optim.npz`` holds one float64 vector per case
(``opt:<id>``, ``op:<id>``, ``trainer:<id>``; ``optim_cases.unpack`` splits it with the
case's ``layout`` from the JSON): per step the weights (``<step>:w<i>``) and state arrays
(``<step>:s<i>_<j>``) of an optimizer case, the results then the inputs after the call
(``<i>``) of an operator case, the parameters of a Trainer case (``<step>:p<i>``); and
the states files MXNet's ``Trainer.save_states`` wrote (``trainer_states:<id>``, bytes).
``goldens/optim.json`` holds the case specs (to detect stale goldens), layouts, learning
rates, schedule sequences and scheduler errors.
"""

import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "optim.npz")
JSON = os.path.join(HERE, "goldens", "optim.json")


def spec(case):
    """A case as JSON-able data (compared with the goldens' copy to detect stale ones)."""
    return json.loads(json.dumps(case._asdict(), default=repr))


def dumps(meta):
    """JSON with one line per case: small, and a diff still shows which cases changed."""
    def line(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    sections = []
    for name in sorted(meta):
        body = ",\n".join(f"  {line(k)}: {line(v)}" for k, v in sorted(meta[name].items()))
        sections.append(f" {line(name)}: {{\n{body}\n }}")
    return "{\n" + ",\n".join(sections) + "\n}\n"


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    import optim_cases as oc
    from generate_ops import write_npz

    arrays, meta = {}, {"opt": {}, "op": {}, "trainer": {}, "schedule": {},
                        "schedule_error": {}, "override": {}}
    for cid, case in oc.OPT_CASES.items():
        record = oc.run_opt_case(mx, cid, case)
        arrays[f"opt:{cid}"], layout = oc.pack(oc.opt_pieces(record))
        meta["opt"][cid] = {"spec": spec(case), "lr": [r[2] for r in record],
                            "layout": layout}
    for cid, case in oc.OP_CASES.items():
        out = oc.run_op_case(mx, cid, case)
        arrays[f"op:{cid}"], layout = oc.pack([(str(i), a) for i, a in enumerate(out)])
        meta["op"][cid] = {"spec": spec(case), "layout": layout}
    with tempfile.TemporaryDirectory() as tmp:
        for cid, case in oc.TRAINER_CASES.items():
            states_file = os.path.join(tmp, "states")
            record = oc.run_trainer_case(mx, cid, case, states_file)
            arrays[f"trainer:{cid}"], layout = oc.pack(oc.trainer_pieces(record))
            if case.reload:
                with open(states_file, "rb") as f:
                    arrays[f"trainer_states:{cid}"] = np.frombuffer(f.read(), np.uint8)
            meta["trainer"][cid] = {"spec": spec(case), "lr": [r[1] for r in record],
                                    "layout": layout}
    for sid, (name, kwargs) in oc.SCHEDULES.items():
        meta["schedule"][sid] = {calls: oc.run_schedule(mx, name, kwargs, seq)
                                 for calls, seq in oc.SCHEDULE_CALLS.items()}
        meta["override"][sid] = oc.run_optimizer_override(mx, name, kwargs, 0.7)
    for eid, (name, kwargs) in oc.SCHEDULE_ERRORS.items():
        meta["schedule_error"][eid] = oc.run_schedule_error(mx, name, kwargs)
    write_npz(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        f.write(dumps(meta))
    print(f"{len(meta['opt'])} optimizer, {len(meta['op'])} operator, "
          f"{len(meta['trainer'])} trainer cases")


if __name__ == "__main__":
    main()
