"""Every exception crmind raises derives from :class:`CrmindError`.

Messages name the bad value and what was expected; the faces (CLI, API) turn them into exit codes
and HTTP statuses, the library never does.
"""

from __future__ import annotations

from pathlib import Path


class CrmindError(Exception):
    """Base class of every error crmind raises on purpose."""


class ConfigurationError(CrmindError):
    """A setting is missing or has a value crmind cannot use."""


class StoreError(CrmindError):
    """The store cannot be opened, migrated or written."""


class ImportFileError(CrmindError):
    """A file cannot be imported at all; nothing was written.

    ``problem`` says what is wrong in words; the message always names the file first.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class MappingError(ImportFileError):
    """The file's columns cannot be mapped to the fields an import needs."""


class NotFoundError(CrmindError):
    """A requested record does not exist."""


class NotFittedError(CrmindError):
    """A model was used before ``fit``."""


class ModelDataError(CrmindError):
    """Data a model cannot be fitted on (too few rows, negative values, ...); says which."""
