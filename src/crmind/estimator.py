"""The contract every crmind model follows (scikit-learn's, plus save / load).

- ``__init__`` only stores keyword hyperparameters (``random_state`` where anything is random).
- ``fit(...)`` validates its input, sets learned attributes ending in ``_`` and returns ``self``.
- Every method that needs a fitted model calls :meth:`Estimator._check_fitted` first, which
  raises :class:`crmind.errors.NotFittedError` naming the model.
- ``save(path)`` / ``Estimator.load(path)`` round-trip a model exactly (pickle with a header
  naming the class and the crmind version that wrote it).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Self

from sklearn.base import BaseEstimator

import crmind
from crmind.errors import CrmindError, NotFittedError

_FORMAT = "crmind-model/1"


class Estimator(BaseEstimator):  # type: ignore[misc]
    """Base class of crmind's models (see the module docstring)."""

    def _check_fitted(self, *attributes: str) -> None:
        """Raise NotFittedError unless every attribute (default: any ``x_``) is set."""
        names = attributes or tuple(
            name for name in vars(self) if name.endswith("_") and not name.startswith("_")
        )
        if not names or any(getattr(self, name, None) is None for name in names):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit(...) before using it"
            )

    def save(self, path: Path | str) -> Path:
        """Write the model to ``path``; returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        header = {"format": _FORMAT, "class": _qualified(type(self)), "crmind": crmind.__version__}
        with target.open("wb") as handle:
            pickle.dump((header, self), handle, protocol=pickle.HIGHEST_PROTOCOL)
        return target

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """Read a model written by :meth:`save`; it must be an instance of ``cls``."""
        source = Path(path)
        if not source.is_file():
            raise CrmindError(f"{source}: no such model file")
        try:
            with source.open("rb") as handle:
                header, model = pickle.load(handle)  # only crmind's own model files
        except (OSError, pickle.UnpicklingError, ValueError, EOFError) as exc:
            raise CrmindError(f"{source}: not a crmind model file ({exc})") from exc
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise CrmindError(f"{source}: not a crmind model file")
        if not isinstance(model, cls):
            raise CrmindError(f"{source}: holds a {header.get('class')}, not a {_qualified(cls)}")
        return model


def _qualified(kind: type[Any]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"
