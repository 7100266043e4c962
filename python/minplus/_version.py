"""The package version, in a leaf module that imports nothing (the report reads it)."""

__version__ = "0.1.0"
