"""Every writer replaces its file atomically, keeps the target's permissions and writes
through symlinks: ``export``, ``Symbol.save``, ``save_checkpoint``, ``nd.save``,
``Module.save_optimizer_states`` and the RecordIO writers."""

import os
import pickle
import stat

import pytest

import mxjax as mx
from mxjax import _files
from mxjax.base import MXNetError


class FullDisk:
    """``open`` whose files store half of the first write, then fail like a full disk;
    ``after`` lets that many files through first."""

    def __init__(self, after=0):
        self.after = after
        self.real = open

    def __call__(self, path, mode):
        f = self.real(path, mode)
        if self.after:
            self.after -= 1
            return f

        class Half:
            def write(self, data):
                f.write(data[:len(data) // 2])
                raise OSError(28, "No space left on device")

            def close(self):
                f.close()

            def flush(self):
                f.flush()

            def fileno(self):
                return f.fileno()
        return Half()


def _exported_net(tmp_path):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((2, 4)))
    prefix = str(tmp_path / "net")
    net.export(prefix)
    return net, prefix


def _snapshot(tmp_path):
    return {p: (tmp_path / p).read_bytes() for p in sorted(os.listdir(tmp_path))}


@pytest.mark.parametrize("after", [0, 1], ids=["first_file", "second_file"])
def test_export_on_a_full_disk_keeps_the_old_pair(tmp_path, monkeypatch, after):
    net, prefix = _exported_net(tmp_path)
    before = _snapshot(tmp_path)
    net[0].weight.set_data(mx.nd.zeros((3, 4)))
    monkeypatch.setattr(_files, "open", FullDisk(after), raising=False)
    with pytest.raises(MXNetError, match="No space left"):
        net.export(prefix)
    assert _snapshot(tmp_path) == before  # the same pair, no temporary file left


def test_export_rename_failure_leaves_no_temporary_file(tmp_path, monkeypatch):
    net, prefix = _exported_net(tmp_path)
    before = _snapshot(tmp_path)

    def fail(*args):
        raise OSError(5, "I/O error")
    monkeypatch.setattr(_files.os, "replace", fail)
    with pytest.raises(MXNetError, match="I/O error"):
        net.export(prefix)
    assert _snapshot(tmp_path) == before


def _writers(tmp_path):
    """name -> (the file it writes, a function writing it)."""
    x = mx.sym.var("x")
    fc = mx.sym.FullyConnected(x, num_hidden=2, name="fc")
    arrays = {"fc_weight": mx.nd.ones((2, 3)), "fc_bias": mx.nd.zeros(2)}

    def export():
        net = mx.gluon.nn.Dense(2, in_units=3)
        net.initialize()
        net.hybridize()
        net(mx.nd.ones((1, 3)))
        net.export(str(tmp_path / "e"))

    def recordio():
        w = mx.recordio.MXIndexedRecordIO(str(tmp_path / "r.idx"), str(tmp_path / "r.rec"), "w")
        w.write_idx(0, b"abcd")
        w.close()

    def module_states():
        mod = mx.mod.Module(fc, data_names=["x"], label_names=None)
        mod.bind([("x", (1, 3))])
        mod.init_params()
        mod.init_optimizer()
        mod.save_optimizer_states(str(tmp_path / "m.states"))

    def trainer_states():
        net = mx.gluon.nn.Dense(2, in_units=3)
        net.initialize()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"momentum": 0.9})
        trainer.save_states(str(tmp_path / "t.states"))

    return {
        "trainer_states": ("t.states", trainer_states),
        "export_json": ("e-symbol.json", export),
        "export_params": ("e-0000.params", export),
        "symbol_save": ("s.json", lambda: fc.save(str(tmp_path / "s.json"))),
        "checkpoint_json": ("c-symbol.json", lambda: mx.model.save_checkpoint(
            str(tmp_path / "c"), 1, fc, arrays, {})),
        "checkpoint_params": ("c-0001.params", lambda: mx.model.save_checkpoint(
            str(tmp_path / "c"), 1, fc, arrays, {})),
        "nd_save": ("a.nd", lambda: mx.nd.save(str(tmp_path / "a.nd"), arrays)),
        "module_states": ("m.states", module_states),
        "recordio_rec": ("r.rec", recordio),
        "recordio_idx": ("r.idx", recordio),
    }


WRITERS = ["trainer_states", "export_json", "export_params", "symbol_save", "checkpoint_json",
           "checkpoint_params", "nd_save", "module_states", "recordio_rec", "recordio_idx"]


@pytest.mark.parametrize("writer", WRITERS)
def test_writer_keeps_permissions_and_symlinks(tmp_path, writer):
    out = tmp_path / "out"
    out.mkdir()
    name, write = _writers(out)[writer]
    target = tmp_path / "elsewhere"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    (out / name).symlink_to(target)
    write()
    assert (out / name).is_symlink()
    assert os.readlink(out / name) == str(target)
    assert target.read_bytes() not in (b"old", b"")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert not [p for p in os.listdir(tmp_path) + os.listdir(out) if p.endswith(".tmp")]


def test_recordio_writer_publishes_at_close(tmp_path, monkeypatch):
    path = tmp_path / "d.rec"
    path.write_bytes(b"old")
    w = mx.recordio.MXRecordIO(str(path), "w")
    w.write(b"x" * 10)
    assert path.read_bytes() == b"old"  # a reader never sees a half-written file
    with pytest.raises(pickle.PicklingError, match="open writer"):
        pickle.dumps(w)
    w.close()
    r = mx.recordio.MXRecordIO(str(path), "r")
    assert r.read() == b"x" * 10
    assert pickle.loads(pickle.dumps(r)).read() == b"x" * 10


def test_symbol_save_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    path.write_text("old")
    monkeypatch.setattr(_files, "open", FullDisk(), raising=False)
    with pytest.raises(OSError, match="No space left"):
        mx.sym.var("x").save(str(path))
    assert os.listdir(tmp_path) == ["s.json"]
    assert path.read_text() == "old"
