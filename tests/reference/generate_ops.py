"""Record MXNet 1.9.1's results for the operator cases in op_cases.py.

Run in the reference environment (mxnet==1.9.1, numpy<1.24), from anywhere:

    /work/refvenv/bin/python tests/reference/generate_ops.py [--family F ...]

For every case: build the inputs, call the op in real MXNet (under autograd.record and
backward with random head gradients when the case has gradient inputs) and store inputs,
head gradients, outputs, input gradients, mutated inputs, or the exception MXNet raised,
in goldens/ops_<family>.npz. Files are written byte-for-byte reproducibly.
"""

import argparse
import io
import json
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import op_cases  # noqa: I001  (needs the path above)
from op_cases import golden_key

warnings.filterwarnings("ignore")
import mxnet as mx

GOLDEN_DIR = HERE / "goldens"
_TRACE_PREFIXES = ("Traceback", "File ", "[bt]", "Stack trace", "MXNetError: Traceback")


def _error_info(exc: BaseException) -> dict:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    message = next((m for m in lines if not m.startswith(_TRACE_PREFIXES)), "")
    return {"type": type(exc).__name__, "module": type(exc).__module__,
            "message": message[:300]}


def _meta(a: np.ndarray) -> dict:
    return {"shape": list(a.shape), "dtype": a.dtype.name}


def record_case(case: op_cases.Case) -> tuple[dict, dict]:
    """(manifest entry, arrays to store) for one case."""
    inputs = op_cases.make_inputs(case)
    arrays = {golden_key(case, "in", i): a for i, a in enumerate(inputs)}
    entry = {"op": case.op, "spec": case.spec(), "raises": None}
    head_rng = np.random.default_rng(op_cases.case_seed(case, "heads"))
    try:
        res = op_cases.run_case(mx, case, inputs, op_cases.random_head_grads(head_rng))
        mx.nd.waitall()
    except Exception as exc:  # recorded: mxjax must raise too
        entry["raises"] = _error_info(exc)
        return entry, arrays
    for (shape, dtype), out in zip(res.out_meta, res.outputs):
        assert shape == out.shape and dtype == out.dtype, (case.id, shape, dtype, out.dtype)
    for i in case.undefined:  # unset memory: store zeros so reruns give equal files
        res.outputs[i] = np.zeros_like(res.outputs[i])
    entry.update(
        multi=res.multi,
        outputs=[_meta(o) for o in res.outputs],
        head_grads=[_meta(h) for h in res.head_grads],
        grads=[dict(_meta(g), input=i) for i, g in zip(case.grad_inputs, res.grads)],
        mutated=[dict(_meta(m), input=i) for i, m in zip(case.mutated, res.mutated)],
    )
    for kind, values in (("out", res.outputs), ("head", res.head_grads), ("grad", res.grads),
                         ("mutated", res.mutated)):
        arrays.update({golden_key(case, kind, i): v for i, v in enumerate(values)})
    return entry, arrays


def write_npz(path: Path, arrays: dict) -> None:
    """Like np.savez_compressed, but with fixed timestamps so reruns give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def generate(family: str, verbose: bool = False) -> list[str]:
    """Write one family's golden file; return complaints about unexpected outcomes."""
    manifest = {"mxnet_version": mx.__version__, "family": family, "cases": {}}
    arrays, problems = {}, []
    for case in op_cases.all_cases([family]):
        if verbose:  # a case that crashes MXNet outright is the last one printed
            print(case.id, flush=True)
        entry, case_arrays = record_case(case)
        manifest["cases"][case.id] = entry
        arrays.update(case_arrays)
        raised = entry["raises"]
        if raised and not case.error:
            problems.append(f"{case.id}: unexpected {raised['type']}: {raised['message']}")
        elif case.error and not raised:
            problems.append(f"{case.id}: marked error=True but MXNet did not raise")
    arrays[op_cases.MANIFEST_KEY] = np.array(json.dumps(manifest, indent=0, sort_keys=True))
    GOLDEN_DIR.mkdir(exist_ok=True)
    path = GOLDEN_DIR / op_cases.GOLDEN_PATTERN.format(family=family)
    write_npz(path, arrays)
    n_err = sum(1 for e in manifest["cases"].values() if e["raises"])
    print(f"{family:10s} {len(manifest['cases']):4d} cases ({n_err} raising) "
          f"-> {path.relative_to(HERE)} {path.stat().st_size / 1024:.0f} KiB")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", choices=op_cases.FAMILIES,
                        help="only this family (repeatable); default: all")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each case id")
    args = parser.parse_args(argv)
    assert mx.__version__ == "1.9.1", f"goldens must come from MXNet 1.9.1, not {mx.__version__}"
    families = args.family or op_cases.FAMILIES
    problems = [p for family in families for p in generate(family, args.verbose)]
    for problem in problems:
        print("WARNING", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
