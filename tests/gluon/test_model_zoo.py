"""``gluon.model_zoo`` against MXNet 1.9.1.

Every network of ``get_model`` must have MXNet's parameter names and shapes (so MXNet's
parameter files load); one network per family, with seeded parameters, must give MXNet's
outputs in predict and training mode (``tests/reference/model_zoo_cases.py``, goldens by
``generate_model_zoo.py``); files MXNet wrote with ``save_parameters`` and ``export``
must load with the same outputs, also through ``pretrained=True`` and the model store.

densenet121 and inceptionv3 compile a few hundred distinct operators on their first
forward (over a minute on two cores), and mobilenetv2's training-mode backward takes
some 20 s, so their forward goldens are marked ``slow`` (``make test-slow``), as are
those of mobilenet0.25, vgg11_bn and resnet18_v2 (5-8 s each; other members of their
families run in ``make test``); parameter names are always checked.
"""

import functools
import hashlib
import json
import os
import shutil
import zipfile

import numpy as np
import pytest

import mxjax as mx
from mxjax.gluon.model_zoo import model_store, vision
from tests.reference import model_zoo_cases as cases

REFERENCE = os.path.join(os.path.dirname(__file__), os.pardir, "reference")
FIXTURE = os.path.join(REFERENCE, "fixtures", "model_zoo_mobilenet")
with np.load(os.path.join(REFERENCE, "goldens", "model_zoo.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(REFERENCE, "goldens", "model_zoo.json"), encoding="utf-8") as _f:
    GOLDEN = json.load(_f)
PARAMS = GOLDEN["params"]

HEAVY = {"densenet121", "inceptionv3", "mobilenetv2_0.25", "mobilenet0.25", "vgg11_bn",
         "resnet18_v2"}
TOL = dict(rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", cases.ALL_MODELS)
def test_parameter_names_and_shapes_match_mxnet(name):
    got = cases.param_list(cases.construct(mx, name))
    expected = PARAMS[name]
    if isinstance(expected, list):
        assert got == expected
    else:
        assert len(got) == expected["count"]
        assert cases.param_digest(got) == expected["sha256"]


@functools.cache
def _forward_case(name):
    return cases.build_forward_case(mx, name)


def _forward_params():
    for name in cases.FORWARD:
        marks = []
        if name in HEAVY:
            marks.append(pytest.mark.slow)  # over a minute of compilation
        yield pytest.param(name, marks=marks)


@pytest.mark.parametrize("name", list(_forward_params()))
def test_forward_matches_mxnet(name):
    net, x = _forward_case(name)
    got = cases.run_forward_case(mx, name, net, x)
    assert sorted(got) == sorted(k.split(":")[1] for k in ARRAYS if k.startswith(name + ":"))
    for mode, value in got.items():
        np.testing.assert_allclose(value, ARRAYS[f"{name}:{mode}"], err_msg=mode, **TOL)


def test_features_and_output_compose_the_network():
    net, x = _forward_case("mobilenet0.25")
    np.testing.assert_allclose(net.output(net.features(x)).asnumpy(),
                               ARRAYS["mobilenet0.25:predict"], **TOL)
    assert isinstance(net.features, mx.gluon.nn.HybridSequential)
    assert net.output.weight.name == "mobilenet0_dense0_weight"


def test_replacing_output_and_features_names_parameters_as_mxnet():
    assert cases.finetune_params(mx) == GOLDEN["finetune"]


def test_hybridized_forward_matches_mxnet():
    net, x = cases.build_forward_case(mx, "resnet18_v2")
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), ARRAYS["resnet18_v2:predict"], **TOL)


def test_get_model_is_case_insensitive_and_rejects_unknown_names():
    assert isinstance(cases.construct(mx, "SqueezeNet1.1"), vision.SqueezeNet)
    with pytest.raises(ValueError, match="resnet18_v1"):
        vision.get_model("resnet19_v1")


def test_constructor_arguments():
    net = cases.construct(mx, "resnet18_v1", thumbnail=True, classes=7)
    assert net.features[0].weight.shape == (64, 0, 3, 3)
    assert net.output.weight.shape == (7, 512)
    assert net.prefix == "resnetv10_"
    assert isinstance(cases.construct(mx, "vgg13_bn").features[1], mx.gluon.nn.BatchNorm)
    assert len(cases.construct(mx, "densenet121", dropout=0.2).features[4][0][1]) == 7


# ---- parameter files written by MXNet ------------------------------------------------------
@functools.cache
def _file_model():
    return cases.build_file_model(mx)


def _fresh_file_model():
    with mx.name.NameManager():
        return vision.get_mobilenet(**cases.FILE_MODEL)


def test_loads_mxnet_save_parameters_file():
    _, x = _file_model()
    net = _fresh_file_model()
    net.load_parameters(FIXTURE + ".params")
    np.testing.assert_allclose(net(x).asnumpy(), ARRAYS["file_model:predict"], **TOL)


def test_save_parameters_writes_the_file_mxnet_wrote(tmp_path):
    net, _ = _file_model()  # the same seeded parameters MXNet saved
    net.save_parameters(str(tmp_path / "net.params"))
    with open(FIXTURE + ".params", "rb") as f:
        assert (tmp_path / "net.params").read_bytes() == f.read()


def test_imports_mxnet_export():
    _, x = _file_model()
    with mx.name.NameManager():
        net = mx.gluon.SymbolBlock.imports(FIXTURE + "-symbol.json", ["data"],
                                           FIXTURE + "-0000.params")
    np.testing.assert_allclose(net(x).asnumpy(), ARRAYS["file_model:predict"], **TOL)


# ---- pretrained=True and the model store ----------------------------------------------------
# The fixture network stands in for a pretrained one: its name (mobilenet0.12) gets the
# fixture file's sha1 in the store's table.
PRETRAINED = "mobilenet0.12"


def _sha1(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setitem(model_store._model_sha1, PRETRAINED, _sha1(FIXTURE + ".params"))
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MXNET_GLUON_REPO", raising=False)
    return tmp_path


def _stored_name():
    return f"{PRETRAINED}-{model_store.short_hash(PRETRAINED)}.params"


def _pretrained_net(**kwargs):
    with mx.name.NameManager():
        return vision.get_mobilenet(pretrained=True, **cases.FILE_MODEL, **kwargs)


def test_pretrained_reads_mxnet_home_models(store):
    models = store / "home" / "models"
    models.mkdir(parents=True)
    shutil.copy(FIXTURE + ".params", models / _stored_name())
    _, x = _file_model()
    np.testing.assert_allclose(_pretrained_net()(x).asnumpy(), ARRAYS["file_model:predict"],
                               **TOL)


def test_pretrained_missing_file_says_where_and_downloads_nothing(store, monkeypatch):
    expected = str(store / "home" / "models" / _stored_name())
    with pytest.raises(FileNotFoundError) as err:
        _pretrained_net()
    assert expected in str(err.value) and "downloads nothing" in str(err.value)
    with pytest.raises(FileNotFoundError, match="resnet18_v1-a0666292.params"):
        vision.resnet18_v1(pretrained=True, root=str(store / "elsewhere"))
    monkeypatch.setenv("MXNET_GLUON_REPO", "https://example.invalid/")
    with pytest.raises(FileNotFoundError, match="not a local directory"):
        vision.get_model("squeezenet1.1", pretrained=True)


def test_pretrained_rejects_a_file_with_another_sha1(store):
    (store / "root").mkdir()
    (store / "root" / _stored_name()).write_bytes(b"not the parameters")
    with pytest.raises(ValueError, match="sha1"):
        _pretrained_net(root=str(store / "root"))


def test_pretrained_copies_from_a_local_gluon_repo_mirror(store, monkeypatch):
    models = store / "mirror" / "gluon" / "models"
    models.mkdir(parents=True)
    stem = _stored_name()[:-len(".params")]
    with zipfile.ZipFile(models / f"{stem}.zip", "w") as zf:
        zf.write(FIXTURE + ".params", f"{stem}.params")
    monkeypatch.setenv("MXNET_GLUON_REPO", "file://" + str(store / "mirror"))
    root = store / "root"
    assert model_store.get_model_file(PRETRAINED, root=str(root)) == str(root / _stored_name())
    _, x = _file_model()
    np.testing.assert_allclose(_pretrained_net(root=str(root))(x).asnumpy(),
                               ARRAYS["file_model:predict"], **TOL)


def test_short_hash_and_purge(store):
    assert model_store.short_hash("resnet18_v1") == "a0666292"
    with pytest.raises(ValueError, match="not available"):
        model_store.short_hash("resnet19_v1")
    root = store / "root"
    root.mkdir()
    (root / "a.params").write_bytes(b"")
    (root / "keep.txt").write_bytes(b"")
    model_store.purge(str(root))
    assert sorted(os.listdir(root)) == ["keep.txt"]
