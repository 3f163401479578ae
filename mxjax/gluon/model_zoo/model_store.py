"""Where pretrained model zoo parameters are found on the local file system.

A pretrained network's parameters live in ``<root>/<name>-<sha1[:8]>.params``, ``root``
being ``$MXNET_HOME/models`` by default (MXNet's layout, so a directory MXNet filled works
unchanged). mxjax never downloads: a missing file is taken from ``MXNET_GLUON_REPO`` when
that names a local mirror of MXNet's repository (a directory, or a ``file://`` URL, holding
``gluon/models/<name>-<sha1[:8]>.zip`` or ``.params``), else an error says where to put it.
"""

import os
import shutil
import tempfile
import zipfile

from ... import base
from ..utils import check_sha1

__all__ = ["get_model_file", "purge"]

# MXNet 1.9.1's published checksums of its pretrained parameter files.
_model_sha1 = {
    "alexnet": "44335d1f0046b328243b32a26a4fbd62d9057b45",
    "densenet121": "f27dbf2dbd5ce9a80b102d89c7483342cd33cb31",
    "densenet161": "b6c8a95717e3e761bd88d145f4d0a214aaa515dc",
    "densenet169": "2603f878403c6aa5a71a124c4a3307143d6820e9",
    "densenet201": "1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb",
    "inceptionv3": "ed47ec45a937b656fcc94dabde85495bbef5ba1f",
    "mobilenet0.25": "9f83e440996887baf91a6aff1cccc1c903a64274",
    "mobilenet0.5": "8e9d539cc66aa5efa71c4b6af983b936ab8701c3",
    "mobilenet0.75": "529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2",
    "mobilenet1.0": "6b8c5106c730e8750bcd82ceb75220a3351157cd",
    "mobilenetv2_1.0": "36da4ff1867abccd32b29592d79fc753bca5a215",
    "mobilenetv2_0.75": "e2be7b72a79fe4a750d1dd415afedf01c3ea818d",
    "mobilenetv2_0.5": "aabd26cd335379fcb72ae6c8fac45a70eab11785",
    "mobilenetv2_0.25": "ae8f9392789b04822cbb1d98c27283fc5f8aa0a7",
    "resnet18_v1": "a0666292f0a30ff61f857b0b66efc0228eb6a54b",
    "resnet34_v1": "48216ba99a8b1005d75c0f3a0c422301a0473233",
    "resnet50_v1": "0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce",
    "resnet101_v1": "d988c13d6159779e907140a638c56f229634cb02",
    "resnet152_v1": "671c637a14387ab9e2654eafd0d493d86b1c8579",
    "resnet18_v2": "a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657",
    "resnet34_v2": "9d6b80bbc35169de6b6edecffdd6047c56fdd322",
    "resnet50_v2": "ecdde35339c1aadbec4f547857078e734a76fb49",
    "resnet101_v2": "18e93e4f48947e002547f50eabbcc9c83e516aa6",
    "resnet152_v2": "f2695542de38cf7e71ed58f02893d82bb409415e",
    "squeezenet1.0": "264ba4970a0cc87a4f15c96e25246a1307caf523",
    "squeezenet1.1": "33ba0f93753c83d86e1eb397f38a667eaf2e9376",
    "vgg11": "dd221b160977f36a53f464cb54648d227c707a05",
    "vgg11_bn": "ee79a8098a91fbe05b7a973fed2017a6117723a8",
    "vgg13": "6bc5de58a05a5e2e7f493e2d75a580d83efde38c",
    "vgg13_bn": "7d97a06c3c7a1aecc88b6e7385c2b373a249e95e",
    "vgg16": "e660d4569ccb679ec68f1fd3cce07a387252a90a",
    "vgg16_bn": "7f01cf050d357127a73826045c245041b0df7363",
    "vgg19": "ad2f660d101905472b83590b59708b71ea22b2e5",
    "vgg19_bn": "f360b758e856f1074a85abd5fd873ed1d98297c3",
}

apache_repo_url = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"


def _default_root():
    """``$MXNET_HOME/models`` (``~/.mxnet/models`` without ``MXNET_HOME``), read now."""
    return os.path.join(base.data_dir(), "models")


def short_hash(name):
    """The first 8 hex digits of the sha1 of ``name``'s pretrained parameter file."""
    if name not in _model_sha1:
        raise ValueError(f"Pretrained model for {name} is not available.")
    return _model_sha1[name][:8]


def _local_mirror():
    """The directory ``MXNET_GLUON_REPO`` names, or None when unset or not local."""
    repo = os.environ.get("MXNET_GLUON_REPO")
    if not repo:
        return None
    if repo.startswith("file://"):
        repo = repo[len("file://"):]
    return repo if os.path.isdir(repo) else None


def _copy_from_mirror(mirror, file_name, file_path):
    """Place ``file_name``.params from the mirror's ``gluon/models`` (zipped, as MXNet's
    repository serves it, or not) at ``file_path``; whether a file was found."""
    models = os.path.join(mirror, "gluon", "models")
    zipped = os.path.join(models, file_name + ".zip")
    plain = os.path.join(models, file_name + ".params")
    root = os.path.dirname(file_path)
    os.makedirs(root, exist_ok=True)
    if os.path.isfile(zipped):
        with zipfile.ZipFile(zipped) as zf, tempfile.TemporaryDirectory(dir=root) as tmp:
            member = file_name + ".params"
            if member not in zf.namelist():
                raise ValueError(f"get_model_file: {zipped} holds no {member}")
            zf.extract(member, tmp)
            os.replace(os.path.join(tmp, member), file_path)
        return True
    if os.path.isfile(plain):
        shutil.copyfile(plain, file_path)
        return True
    return False


def get_model_file(name, root=None):
    """The path of the pretrained parameter file of model ``name``, checked against its
    sha1.

    Parameters
    ----------
    name : str
        Name of the model (as :func:`~mxjax.gluon.model_zoo.vision.get_model` takes it).
    root : str, default ``$MXNET_HOME/models``
        Directory holding ``<name>-<sha1[:8]>.params``.

    Returns
    -------
    str
        Path to the file.

    Raises
    ------
    FileNotFoundError
        The file is not in ``root`` (nor in a local ``MXNET_GLUON_REPO`` mirror); mxjax
        downloads nothing.
    ValueError
        The file's content does not match MXNet's published sha1.
    """
    file_name = f"{name}-{short_hash(name)}"
    root = os.path.expanduser(_default_root() if root is None else root)
    file_path = os.path.join(root, file_name + ".params")
    sha1_hash = _model_sha1[name]
    if os.path.exists(file_path) and check_sha1(file_path, sha1_hash):
        return file_path
    mirror = _local_mirror()
    if mirror is not None and _copy_from_mirror(mirror, file_name, file_path):
        if check_sha1(file_path, sha1_hash):
            return file_path
        raise ValueError(f"get_model_file: {file_path}, copied from the mirror {mirror}, "
                         f"does not have the sha1 of MXNet's {name} parameters "
                         f"({sha1_hash})")
    if os.path.exists(file_path):
        raise ValueError(f"get_model_file: {file_path} does not have the sha1 of MXNet's "
                         f"{name} parameters ({sha1_hash}); replace it with MXNet's file "
                         f"{file_name}.params")
    repo = os.environ.get("MXNET_GLUON_REPO")
    unused = (f" (MXNET_GLUON_REPO={repo} is not a local directory, so it was not used)"
              if repo and mirror is None else "")
    raise FileNotFoundError(
        f"get_model_file: pretrained parameters for {name!r} not found at {file_path}. "
        f"mxjax downloads nothing: place MXNet's file {file_name}.params there (from "
        f"{apache_repo_url}gluon/models/{file_name}.zip or an existing MXNet "
        f"installation's ~/.mxnet/models), pass root=<directory holding it>, or set "
        f"MXNET_GLUON_REPO to a local directory holding gluon/models/{file_name}.zip"
        f"{unused}")


def purge(root=None):
    """Delete every ``.params`` file in ``root`` (default ``$MXNET_HOME/models``)."""
    root = os.path.expanduser(_default_root() if root is None else root)
    for f in os.listdir(root):
        if f.endswith(".params"):
            os.remove(os.path.join(root, f))
