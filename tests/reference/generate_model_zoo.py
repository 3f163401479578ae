"""Model zoo goldens and parameter files from real MXNet 1.9.1, for
tests/gluon/test_model_zoo.py.

    /work/main/.refvenv/bin/python tests/reference/generate_model_zoo.py

The cases and the code that runs them live in ``model_zoo_cases.py``. Writes:

* ``goldens/model_zoo.json``: per model of ``get_model``, the parameter names and shapes
  of ``collect_params()`` as constructed (in order; the full list for the forward cases'
  networks, a sha256 digest and count for the others);
* ``goldens/model_zoo.npz``: per forward case the predict-mode output (``<name>:predict``)
  and, where BatchNorm makes it differ, the training-mode output (``<name>:train``); the
  fixture network's output (``file_model:predict``);
* ``fixtures/model_zoo_mobilenet.params`` (``save_parameters``) and
  ``fixtures/model_zoo_mobilenet-symbol.json`` / ``-0000.params`` (``export`` after
  hybridizing) of the fixture network.

Weights are not stored: the test regenerates them from the seeds.
"""

import json
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_zoo_cases as cases  # noqa: E402
from generate_layers import _savez  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
JSON = os.path.join(HERE, "goldens", "model_zoo.json")
NPZ = os.path.join(HERE, "goldens", "model_zoo.npz")
FIXTURE = os.path.join(HERE, "fixtures", "model_zoo_mobilenet")


def main():
    warnings.filterwarnings("ignore")
    import mxnet as mx

    params = {}
    for name in cases.ALL_MODELS:
        plist = cases.param_list(cases.construct(mx, name))
        params[name] = (plist if name in cases.FORWARD
                        else {"count": len(plist), "sha256": cases.param_digest(plist)})
    arrays = {}
    for name in cases.FORWARD:
        net, x = cases.build_forward_case(mx, name)
        for k, v in cases.run_forward_case(mx, name, net, x).items():
            arrays[f"{name}:{k}"] = v
        # MXNet's hybridized predict output must agree (to the tests' tolerance; its
        # fused kernels round differently), or the golden is moot.
        net.hybridize()
        if not np.allclose(net(x).asnumpy(), arrays[f"{name}:predict"], rtol=1e-4,
                           atol=1e-4):
            print(f"warning: {name}: hybridized output differs in MXNet", file=sys.stderr)
        print(name, {k: v.shape for k, v in arrays.items() if k.startswith(name + ":")})
    net, x = cases.build_file_model(mx)
    arrays["file_model:predict"] = net(x).asnumpy()
    net.save_parameters(FIXTURE + ".params")
    net.hybridize()
    net(x)
    net.export(FIXTURE)
    mx.nd.waitall()
    _savez(NPZ, arrays)
    with open(JSON, "w", encoding="utf-8") as f:
        json.dump({"mxnet": mx.__version__, "params": params,
                   "finetune": cases.finetune_params(mx)}, f, indent=0, sort_keys=True)
    print(f"wrote {JSON}, {NPZ} and {FIXTURE}.*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
