"""``mx.kv`` / ``mx.kvstore``: key-value stores that sum values (gradients) over devices.

``mx.kv.create('local' | 'device')`` gives a ``KVStore`` for the contexts of one
process; ``KVStoreBase.register`` adds custom stores (``TestStore`` is one). The
multi-process ``dist_*`` types are not implemented yet.
"""

from .base import KVStoreBase, TestStore, create
from .kvstore import KVStore

__all__ = ["create", "KVStoreBase", "KVStore", "TestStore"]
