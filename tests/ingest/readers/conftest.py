"""Fixtures of the reader tests: the public data sets beside the checkout.

The data sets sit in ``../shared/data`` from the project root. A test that needs one skips with
the reason when it is missing, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def shared_data_file() -> Callable[[str], Path]:
    """A function giving the path of a file of ``../shared/data``, skipping when it is missing."""

    def locate(relative: str) -> Path:
        path = SHARED_DATA / relative
        if not path.is_file():
            message = f"public data file {path} is not present (it sits beside the checkout)"
            if _in_ci():
                pytest.fail(message)
            pytest.skip(message)
        return path

    return locate
