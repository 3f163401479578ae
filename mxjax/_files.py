"""Files written atomically: a temporary file beside the target, synced, then renamed over
it, so a crash or a full disk leaves the old file or the new one, never a mix.

A target that is a symbolic link keeps the link: the file it points to gets the content.
A target that exists keeps its permission bits (a 0600 file stays 0600).
"""

import contextlib
import os
import secrets
import stat

__all__ = ["AtomicFile", "commit_all", "write_atomically", "write_all_atomically"]


def _resolve(fname):
    """The path that receives the bytes: a symlink's final target, else ``fname``."""
    fname = os.fspath(fname)
    return os.path.realpath(fname) if os.path.islink(fname) else fname


class AtomicFile:
    """A binary file whose content replaces ``fname`` only at :meth:`commit`;
    :meth:`discard` (or an exception inside ``with``) leaves ``fname`` as it was."""

    def __init__(self, fname):
        self.target = _resolve(fname)
        self.tmp = f"{self.target}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        self._f = open(self.tmp, "xb")
        try:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(self.tmp, stat.S_IMODE(os.stat(self.target).st_mode))
        except BaseException:
            self.discard()
            raise

    @property
    def closed(self):
        return self._f is None or self._f.closed

    def write(self, data):
        return self._f.write(data)

    def flush(self):
        self._f.flush()

    def tell(self):
        return self._f.tell()

    def fileno(self):
        return self._f.fileno()

    def sync(self):
        """Flush and sync the content to disk (the step before a rename)."""
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()

    def rename(self):
        """Move the synced content over the target."""
        os.replace(self.tmp, self.target)
        self._f = None

    def commit(self):
        """Sync, then replace the target; on failure the target is untouched."""
        try:
            self.sync()
            self.rename()
        except BaseException:
            self.discard()
            raise

    def discard(self):
        """Drop the temporary file; the target stays as it was."""
        if self._f is not None:
            with contextlib.suppress(OSError):
                self._f.close()
            self._f = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _as_bytes(payload):
    return payload.encode("utf-8") if isinstance(payload, str) else payload


def write_atomically(fname, payload):
    """Write ``payload`` (bytes, or text written as UTF-8) to ``fname``."""
    write_all_atomically([(fname, payload)])


def write_all_atomically(items):
    """Write several ``(fname, payload)`` files: every payload goes to its temporary file
    and is synced before the first rename, so a full disk changes none of the targets."""
    pending = []
    try:
        for fname, payload in items:
            f = AtomicFile(fname)
            pending.append(f)
            f.write(_as_bytes(payload))
    except BaseException:
        for f in pending:
            f.discard()
        raise
    commit_all(pending)


def commit_all(files):
    """Commit several :class:`AtomicFile`: all are synced before the first rename."""
    try:
        for f in files:
            f.sync()
        for f in files:
            f.rename()
    except BaseException:
        for f in files:
            f.discard()
        raise
