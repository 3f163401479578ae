"""``mx.sym.op``: operators generated from the registry (see ``register.py``)."""

__all__ = []
