"""The errors of dataset runs (defined with every other error in :mod:`minplus.errors`)."""

from ..errors import RunMismatchError, RunStoreError, RunSchemaError, RunInputError  # noqa: F401

__all__ = ['RunMismatchError', 'RunStoreError', 'RunSchemaError', 'RunInputError']
