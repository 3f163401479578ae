"""``mx.recordio``: MXNet's RecordIO files (``.rec`` + optional ``.idx``), in pure Python.

The format (dmlc-core's): each record is a little-endian ``uint32`` magic number
``0xced7230a``, a ``uint32`` holding ``cflag << 29 | length``, then ``length`` bytes padded
with zeros to a multiple of 4. A payload containing the magic number at a 4-byte aligned
offset is cut there into parts (``cflag`` 1 = first, 2 = middle, 3 = last), the magic
bytes themselves being implied between parts. An ``.idx`` file holds ``key\\tbyte
offset`` lines. Files written here are byte-identical to MXNet's.
"""

import numbers
import os
import pickle
import struct
from collections import namedtuple

import numpy as np

from ._files import AtomicFile, commit_all

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img",
           "unpack_img"]

_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_MAX_LENGTH = 1 << 29


def _split_parts(buf):
    """Cut ``buf`` at each 4-byte aligned occurrence of the magic number."""
    parts, start = [], 0
    for i in range(0, len(buf) - 3, 4):
        if buf[i:i + 4] == _MAGIC_BYTES:
            parts.append(buf[start:i])
            start = i + 4
    parts.append(buf[start:])
    return parts


class MXRecordIO:
    """Sequential reader (``flag='r'``) or writer (``flag='w'``) of a RecordIO file.

    Parameters
    ----------
    uri : str
        Path of the ``.rec`` file.
    flag : {'r', 'w'}
        Read or write. A writer writes to a temporary file beside ``uri`` that replaces
        it at ``close()`` (atomically, keeping its permissions and symlinks), so a failed
        or interrupted write never leaves a truncated file under ``uri``.

    Examples
    --------
    >>> w = mx.recordio.MXRecordIO('tmp.rec', 'w')
    >>> w.write(b'record_0'); w.close()
    >>> mx.recordio.MXRecordIO('tmp.rec', 'r').read()
    b'record_0'
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self.handle = None
        self.open()

    def open(self):
        """Open the file (a writer starts a new one, which replaces ``uri`` at close)."""
        if self.flag == "w":
            self.handle = AtomicFile(self.uri)
            self.writable = True
        elif self.flag == "r":
            self.handle = open(self.uri, "rb")
            self.writable = False
        else:
            raise ValueError(f"Invalid flag {self.flag}")
        self.pid = os.getpid()
        self.is_open = True

    def __del__(self):
        self.close()

    def __getstate__(self):
        # A file handle cannot be pickled: the copy reopens the file by name.
        if self.is_open and self.writable:
            raise pickle.PicklingError(
                f"MXRecordIO: an open writer of {self.uri!r} cannot be copied or pickled "
                "(its records reach the file only at close()); close it first")
        state = dict(self.__dict__)
        state["handle"] = None
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        was_open, self.is_open = state["is_open"], False
        if was_open:
            self._reopen()

    def _reopen(self):
        """Open a reader again in this process."""
        self.handle = open(self.uri, "rb")
        self.writable = False
        self.pid = os.getpid()
        self.is_open = True

    def _check_pid(self, allow_reset=False):
        if self.pid != os.getpid():
            if not allow_reset:
                raise RuntimeError("Forbidden operation in multiple processes")
            self.reset()

    def close(self):
        """Close the file; further reads or writes need ``open()``."""
        if not getattr(self, "is_open", False):
            return
        self.is_open = False
        self.pid = None
        if self.writable:
            commit_all([self.handle])
        else:
            self.handle.close()

    def reset(self):
        """Go back to the first record (a writer truncates the file)."""
        self.close()
        self.open()

    def write(self, buf):
        """Append ``buf`` (bytes) as one record."""
        assert self.writable
        self._check_pid(allow_reset=False)
        buf = bytes(buf)
        if len(buf) >= _MAX_LENGTH:
            raise ValueError(f"RecordIO records must be shorter than 2**29 bytes, "
                             f"got {len(buf)}")
        parts = _split_parts(buf)
        out = []
        for i, part in enumerate(parts):
            if len(parts) == 1:
                cflag = 0
            else:
                cflag = 1 if i == 0 else (3 if i == len(parts) - 1 else 2)
            out += [_MAGIC_BYTES, struct.pack("<I", (cflag << 29) | len(part)), part]
        out.append(b"\0" * (-len(buf) % 4))
        self.handle.write(b"".join(out))

    def read(self):
        """The next record as bytes, or None at the end of the file."""
        assert not self.writable
        self._check_pid(allow_reset=False)
        parts = []
        while True:
            head = self.handle.read(8)
            if not head:
                if parts:
                    raise RuntimeError(f"{self.uri}: invalid RecordIO file (truncated record)")
                return None
            if len(head) != 8:
                raise RuntimeError(f"{self.uri}: invalid RecordIO file (truncated header)")
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise RuntimeError(f"{self.uri}: invalid RecordIO file (bad magic number "
                                   f"{magic:#x} at byte {self.handle.tell() - 8})")
            cflag, length = lrec >> 29, lrec & (_MAX_LENGTH - 1)
            data = self.handle.read((length + 3) & ~3)
            if len(data) < length:
                raise RuntimeError(f"{self.uri}: invalid RecordIO file (truncated record)")
            parts.append(data[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)


class MXIndexedRecordIO(MXRecordIO):
    """RecordIO file with an index file, for random access by key.

    Parameters
    ----------
    idx_path : str
        Path of the index (``.idx``) file: one ``key\\toffset`` line per record.
    uri : str
        Path of the ``.rec`` file.
    flag : {'r', 'w'}
        Read or write.
    key_type : type, default int
        Type the keys are converted to.

    Examples
    --------
    >>> w = mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'w')
    >>> for i in range(3):
    ...     w.write_idx(i, b'record_%d' % i)
    >>> w.close()
    >>> mx.recordio.MXIndexedRecordIO('tmp.idx', 'tmp.rec', 'r').read_idx(2)
    b'record_2'
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx, self.keys = {}, []
        if self.writable:
            self.fidx = AtomicFile(self.idx_path)
        else:
            self.fidx = open(self.idx_path)
            self._load_index()

    def _load_index(self):
        for number, line in enumerate(iter(self.fidx.readline, ""), 1):
            fields = line.strip().split("\t")
            try:
                key = self.key_type(fields[0])
                self.idx[key] = int(fields[1])
            except (ValueError, IndexError):
                raise ValueError(f"{self.idx_path}: invalid RecordIO index, line {number} is "
                                 f"{line!r} (expected 'key<TAB>byte offset')") from None
            self.keys.append(key)

    def _reopen(self):
        super()._reopen()
        self.fidx = open(self.idx_path)
        self.idx, self.keys = {}, []
        self._load_index()

    def close(self):
        if not getattr(self, "is_open", False):
            return
        if not self.writable:
            super().close()
            self.fidx.close()
            return
        self.is_open = False
        self.pid = None
        commit_all([self.handle, self.fidx])

    def __getstate__(self):
        state = super().__getstate__()
        state["fidx"] = None
        return state

    def seek(self, idx):
        """Move the read position to the record of key ``idx``."""
        assert not self.writable
        self._check_pid(allow_reset=True)
        self.handle.seek(self.idx[idx])

    def tell(self):
        """Byte offset where the next record will be written."""
        assert self.writable
        return self.handle.tell()

    def read_idx(self, idx):
        """The record of key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Append ``buf`` as the record of key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n".encode())
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
"""Header of an image record: ``flag`` (number of float labels, 0 for one scalar label),
``label`` (float or array of floats), ``id`` and ``id2`` (the record's unique id)."""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """Prefix ``s`` (bytes) with an image-record header.

    A scalar ``header.label`` is stored in the header (flag 0); an array label is stored
    as float32 values in front of ``s`` and ``flag`` becomes its size.
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """Split a record made by ``pack`` into ``(IRHeader, payload bytes)``."""
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s, iscolor=-1):
    """``(header, image)`` from a record made by ``pack_img``: a numpy uint8 array in
    OpenCV's BGR channel order (``iscolor``: -1 as stored, 0 grey, 1 colour)."""
    from . import _image_codec

    header, s = unpack(s)
    return header, _image_codec.decode(s, iscolor, bgr=True)


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """Encode ``img`` (numpy uint8, BGR channel order as with OpenCV) and pack it.

    ``img_fmt`` is '.png' or '.jpg'; ``quality`` is the JPEG quality (1-100) or the PNG
    compression level (0-9). PNG needs nothing extra; JPEG needs OpenCV or Pillow.
    """
    from . import _image_codec

    return pack(header, _image_codec.encode(img, img_fmt, quality, bgr=True))
