"""Which MXNet 1.9.1 operators take a keyword they do not know, for tests/test_core.py.

    .refvenv/bin/python tests/reference/generate_op_keywords.py

MXNet checks an operator's keywords against its parameter struct when the operator is
created (imperatively or as a Symbol): an operator without one, or with a leniently parsed
one, ignores an unknown keyword (``broadcast_maximum(a, b, axis=1)`` runs); the others
raise "Cannot find argument". Each registered operator is created as a Symbol with one
unknown keyword; writes ``goldens/op_keywords.json``: operator name -> whether it accepts.
"""

import ctypes
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "goldens", "op_keywords.json")
UNKNOWN = "zz_unknown_keyword"


def accepts_unknown(mx, name):
    from mxnet.base import _LIB, OpHandle, SymbolHandle, c_array, c_str, check_call, mx_uint

    handle = OpHandle()
    check_call(_LIB.NNGetOpHandle(c_str(name), ctypes.byref(handle)))
    out = SymbolHandle()
    try:
        check_call(_LIB.MXSymbolCreateAtomicSymbol(
            handle, mx_uint(1), c_array(ctypes.c_char_p, [c_str(UNKNOWN)]),
            c_array(ctypes.c_char_p, [c_str("1")]), ctypes.byref(out)))
    except mx.base.MXNetError as e:
        # Only the unknown keyword counts (a missing required argument is another error).
        return "Cannot find argument" not in str(e) and UNKNOWN not in str(e)
    return True


def main():
    import mxnet as mx
    from mxnet.base import _LIB, check_call, py_str

    size = ctypes.c_uint()
    names = ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    ops = sorted(py_str(names[i]) for i in range(size.value))
    result = {name: accepts_unknown(mx, name) for name in ops}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{len(result)} operators, {sum(result.values())} accept an unknown keyword -> {OUT}")


if __name__ == "__main__":
    main()
