"""``mx.nd.random``: sampling functions over the registry's random operators."""

__all__ = []
