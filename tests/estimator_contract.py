"""The contract test every crmind model passes (see crmind/estimator.py).

Use it from a model's test module::

    def test_contract(tmp_path):
        check_estimator_contract(
            make=lambda: BetaGeoModel(),
            fit=lambda model: model.fit(frequency, recency, T),
            outputs=lambda model: model.predict_purchases(10),
            tmp_path=tmp_path,
        )
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from crmind.errors import NotFittedError
from crmind.estimator import Estimator


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pl.DataFrame):
        assert isinstance(b, pl.DataFrame)
        assert a.equals(b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def check_estimator_contract(
    make: Callable[[], Estimator],
    fit: Callable[[Estimator], Estimator],
    outputs: Callable[[Estimator], Any],
    tmp_path: Path,
) -> None:
    """Unfitted use raises; fit returns self; refit and save/load change nothing."""
    unfitted = make()
    with pytest.raises(NotFittedError, match=type(unfitted).__name__):
        outputs(unfitted)
    model = make()
    assert fit(model) is model
    first = outputs(model)
    _same(first, outputs(fit(make())))
    loaded = type(model).load(model.save(tmp_path / "model.pkl"))
    _same(first, outputs(loaded))
    assert set(model.get_params()) == set(make().get_params())
