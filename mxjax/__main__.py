"""``mxjax run script.py [args...]`` / ``python -m mxjax script.py [args...]``.

Runs an unmodified MXNet script with ``import mxnet`` resolving to mxjax.
``mxjax launch -n N script.py [args...]`` runs it in N worker processes (``launch.py``).
"""

import argparse
import os
import runpy
import sys

from ._alias import install


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "launch":
        from .launch import main as launch
        sys.exit(launch(argv[1:]))
    if argv and argv[0] == "run":
        argv = argv[1:]
    parser = argparse.ArgumentParser(
        prog="mxjax run", description="Run an MXNet script on mxjax (import mxnet -> mxjax).")
    parser.add_argument("script", help="path of the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    ns = parser.parse_args(argv)
    install()
    sys.argv = [ns.script, *ns.args]
    # As ``python script.py``: the script's folder comes first, for modules beside it.
    sys.path.insert(0, os.path.dirname(os.path.abspath(ns.script)))
    runpy.run_path(ns.script, run_name="__main__")


if __name__ == "__main__":
    main()
