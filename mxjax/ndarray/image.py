"""``mx.nd.image``: operators generated from the registry (see ``register.py``)."""

__all__ = []
