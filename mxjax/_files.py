"""Files written atomically: a temporary file beside the target, synced, then renamed over
it, so a crash or a full disk leaves the old file or the new one, never a mix."""

import contextlib
import os
import secrets

__all__ = ["write_atomically"]


def write_atomically(fname, payload):
    """Write ``payload`` (bytes, or text written as UTF-8) to ``fname``."""
    fname = os.fspath(fname)
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    tmp = f"{fname}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
