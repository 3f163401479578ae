"""Optimizer, lr_scheduler and Trainer goldens from real MXNet 1.9.1.

    /work/refvenv/bin/python tests/reference/generate_optim.py

The cases and the code that runs them live in ``optim_cases.py`` (numpy only; the tests
run the same functions on mxjax). ``goldens/optim.npz`` holds, per case and step, the
weights (``opt:<id>:<step>:w<i>``) and state arrays (``:s<i>_<j>``), the update
operators' results and inputs after the call (``op:<id>:<i>``), the Trainer's parameters
(``trainer:<id>:<step>:p<i>``) and the states file MXNet's ``Trainer.save_states`` wrote
(``trainer_states:<id>``, bytes). ``goldens/optim.json`` holds the case specs (to detect
stale goldens), learning rates, schedule sequences and scheduler errors.
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


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    import optim_cases as oc
    from generate_ops import write_npz

    arrays, meta = {}, {"opt": {}, "op": {}, "trainer": {}, "schedule": {},
                        "schedule_error": {}, "override": {}}
    for cid, case in oc.OPT_CASES.items():
        record = oc.run_opt_case(mx, cid, case)
        for step, (weights, states, _) in enumerate(record):
            for i, w in enumerate(weights):
                arrays[f"opt:{cid}:{step}:w{i}"] = w
            for i, st in enumerate(states):
                for j, s in enumerate(st):
                    arrays[f"opt:{cid}:{step}:s{i}_{j}"] = s
        meta["opt"][cid] = {"spec": spec(case), "lr": [r[2] for r in record],
                            "states": [len(s) for s in record[0][1]]}
    for cid, case in oc.OP_CASES.items():
        out = oc.run_op_case(mx, cid, case)
        for i, a in enumerate(out):
            arrays[f"op:{cid}:{i}"] = a
        meta["op"][cid] = {"spec": spec(case), "count": len(out)}
    with tempfile.TemporaryDirectory() as tmp:
        for cid, case in oc.TRAINER_CASES.items():
            states_file = os.path.join(tmp, "states")
            record = oc.run_trainer_case(mx, cid, case, states_file)
            for step, (params, _) in enumerate(record):
                for i, p in enumerate(params):
                    arrays[f"trainer:{cid}:{step}:p{i}"] = p
            if case.reload:
                with open(states_file, "rb") as f:
                    arrays[f"trainer_states:{cid}"] = np.frombuffer(f.read(), np.uint8)
            meta["trainer"][cid] = {"spec": spec(case), "lr": [r[1] for r in record]}
    for sid, (name, kwargs) in oc.SCHEDULES.items():
        meta["schedule"][sid] = {calls: oc.run_schedule(mx, name, kwargs, seq)
                                 for calls, seq in oc.SCHEDULE_CALLS.items()}
        meta["override"][sid] = oc.run_optimizer_override(mx, name, kwargs, 0.7)
    for eid, (name, kwargs) in oc.SCHEDULE_ERRORS.items():
        meta["schedule_error"][eid] = oc.run_schedule_error(mx, name, kwargs)
    write_npz(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(meta['opt'])} optimizer, {len(meta['op'])} operator, "
          f"{len(meta['trainer'])} trainer cases; {len(arrays)} arrays")


if __name__ == "__main__":
    main()
