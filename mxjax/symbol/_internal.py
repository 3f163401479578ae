"""``mx.sym._internal``: operators generated from the registry (see ``register.py``)."""

__all__ = []
