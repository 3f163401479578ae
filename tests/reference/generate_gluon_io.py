"""``Block.save``/``Block.load`` fixtures and multi-context Trainer goldens from real
MXNet 1.9.1.

    /work/main/.refvenv/bin/python tests/reference/generate_gluon_io.py

The cases and the code that runs them live in ``gluon_io_cases.py`` (numpy only; the
tests run the same functions on mxjax). Writes:

* ``fixtures/block_save-model.json`` and ``fixtures/block_save-model.params``: what
  MXNet's ``Block.save`` wrote for ``gluon_io_cases.save_net`` (seeded parameters,
  hybridized Dense layers, run once);
* ``goldens/gluon_io.json``: that net's output, the structure of its ``-model.json``
  (graphs reduced to node ops and names), and per Trainer case and step the store type,
  ``_update_on_kvstore`` and each context's weight and gradient; per get_symbol case
  the nodes of the graph (op and input positions).
"""

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "gluon_io.json")
FIXTURE = os.path.join(HERE, "fixtures", "block_save")


def _plain(value):
    """NDArray-free, JSON-able copy (numpy arrays as nested lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def main():
    import mxnet as mx

    sys.path.insert(0, HERE)
    import gluon_io_cases as cases

    with mx.name.NameManager():
        net = cases.save_net(mx)
    net.initialize()
    cases.set_save_params(mx, net)
    net.hybridize()
    out = net(cases.save_input(mx)).asnumpy()
    net.save(FIXTURE)
    with open(FIXTURE + "-model.json") as f:
        structure = cases.model_structure(json.load(f))

    trainer = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cid in cases.TRAINER_CASES:
            trainer[cid] = _plain(cases.run_trainer_case(mx, cid, os.path.join(tmp, "p")))

    get_symbol = {cid: cases.get_symbol_nodes(mx, cid) for cid in cases.GET_SYMBOL_CASES}
    golden = {"mxnet": mx.__version__,
              "save": {"output": out.tolist(), "structure": structure},
              "trainer": trainer, "get_symbol": get_symbol}
    with open(JSON, "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {JSON} and {FIXTURE}-model.*")


if __name__ == "__main__":
    main()
