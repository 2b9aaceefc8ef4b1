"""The command line ``kotaku-decide`` (thin shells over the package; see :mod:`.main`)."""

from .main import main

__all__ = ["main"]
