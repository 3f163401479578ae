"""``KVStoreBase`` (the interface, and the registry of custom stores) and ``create``."""

import warnings

from ..ndarray.ndarray import NDArray

__all__ = ["create", "KVStoreBase"]

class KVStoreBase:
    """The interface of a key-value store for data-parallel training.

    A store subclass registered with ``KVStoreBase.register`` is created by
    ``mx.kv.create(<its class name, lower-cased>)``.
    """

    OPTIMIZER = "optimizer"
    kv_registry = {}

    def broadcast(self, key, value, out, priority=0):
        """Set ``key`` to ``value`` and copy it into ``out`` (an array or a list)."""
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        """Push ``value`` (summed) to ``key``, then write the store's value into ``out``
        (``value`` when ``out`` is None)."""
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on every value pushed from now on."""
        raise NotImplementedError()

    def is_capable(self, capability):
        """Whether the store supports ``capability`` (``KVStoreBase.OPTIMIZER``)."""
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer's states (and the optimizer, with ``dump_optimizer``)."""
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        """Read the optimizer's states that ``save_optimizer_states`` wrote."""
        raise NotImplementedError()

    @property
    def type(self):
        """The store's type name (``'local'``, ``'device'``, ...)."""
        raise NotImplementedError()

    @property
    def rank(self):
        """This worker's rank, in ``range(num_workers)``."""
        raise NotImplementedError()

    @property
    def num_workers(self):
        """The number of workers."""
        raise NotImplementedError()

    @staticmethod
    def register(klass):
        """Register a store class under its lower-cased name (a decorator).

        Examples
        --------
        >>> @mx.kv.KVStoreBase.register
        ... class MyStore(mx.kv.KVStoreBase):
        ...     pass
        >>> type(mx.kv.create('mystore')).__name__
        'MyStore'
        """
        assert isinstance(klass, type)
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            old = KVStoreBase.kv_registry[name]
            warnings.warn(f"WARNING: New kvstore {klass.__module__}.{klass.__name__} is "
                          f"overriding existing kvstore {old.__module__}.{old.__name__}",
                          stacklevel=2)
        KVStoreBase.kv_registry[name] = klass
        return klass


def _as_list(out):
    return out if isinstance(out, list) else [out]


@KVStoreBase.register
class TestStore(KVStoreBase):
    """A minimal store for tests: sums in Python, has no optimizer, one worker."""

    def broadcast(self, key, value, out, priority=0):
        """Copy ``value`` into every array of ``out``."""
        for o in _as_list(out):
            o[:] = value

    def pushpull(self, key, value, out=None, priority=0):
        """Write ``value`` (or the sum of a list of arrays) into ``out`` (or ``value``)."""
        if isinstance(value, NDArray):
            if out is not None:
                for o in _as_list(out):
                    o[:] = value
            return
        ctx = value[0].context
        reduced = sum(v.as_in_context(ctx) for v in value)
        for o in value if out is None else _as_list(out):
            o[:] = reduced

    @staticmethod
    def is_capable(capability):
        """It runs no optimizer."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise ValueError(f"Unknown capability: {capability}")

    @property
    def type(self):
        return "teststore"

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def set_optimizer(self, optimizer):
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        raise NotImplementedError()


def create(name="local"):
    """A new store of type ``name``.

    ``'local'`` and ``'device'`` (and any other name MXNet's native store accepts that has
    no ``dist`` in it, e.g. ``'local_allreduce_cpu'``; the name is kept as the store's
    ``type``) sum pushed values over the contexts of one process; see ``KVStore``. A name
    registered with ``KVStoreBase.register`` creates that class. ``dist_*`` types
    (``dist_sync``, ``dist_device_sync``, ``dist_async``...) keep the workers of
    ``mxjax launch`` in step; see ``DistKVStore``.

    Parameters
    ----------
    name : str
        The type of store.

    Returns
    -------
    KVStoreBase
    """
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if "dist" in name:
        from .dist import DistKVStore
        return DistKVStore(name)
    from .kvstore import KVStore
    return KVStore(name)
