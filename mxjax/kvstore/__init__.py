"""``mx.kv`` / ``mx.kvstore``: key-value stores that sum values (gradients) over devices.

``mx.kv.create('local' | 'device')`` gives a ``KVStore`` for the contexts of one
process; ``'dist_sync'`` and the other ``dist_*`` types a ``DistKVStore`` that also sums
over the worker processes of ``mxjax launch``; ``KVStoreBase.register`` adds custom stores
(``TestStore`` is one).
"""

from .base import KVStoreBase, TestStore, create
from .dist import DistKVStore
from .kvstore import KVStore

__all__ = ["create", "KVStoreBase", "KVStore", "DistKVStore", "TestStore"]
