"""``mx.sym.sparse``: the operators MXNet lists for sparse storage (``dot``,
``elemwise_add``, ``retain``, ``cast_storage``, ...), generated from the registry's
``_sparse_`` names as ``mx.nd.sparse``'s are. A variable's storage type is its
``stype=`` (``mx.sym.var('w', stype='row_sparse')``)."""

__all__ = []
