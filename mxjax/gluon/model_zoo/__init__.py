"""``gluon.model_zoo``: predefined vision networks and their pretrained parameter files."""

from . import model_store, vision

__all__ = ["model_store", "vision"]
