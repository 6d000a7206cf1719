from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from crmind.errors import CrmindError
from crmind.estimator import Estimator
from tests.estimator_contract import check_estimator_contract


class MeanModel(Estimator):
    """A toy model: learns the mean (plus seeded noise, to check random_state is honoured)."""

    def __init__(self, *, noise: float = 0.0, random_state: int = 0) -> None:
        self.noise = noise
        self.random_state = random_state

    def fit(self, values: list[float]) -> MeanModel:
        rng = np.random.default_rng(self.random_state)
        self.mean_ = float(np.mean(values)) + self.noise * float(rng.normal())
        return self

    def predict(self, n: int) -> npt.NDArray[np.float64]:
        self._check_fitted()
        return np.full(n, self.mean_)


class OtherModel(MeanModel):
    pass


def test_toy_model_passes_the_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: MeanModel(noise=1.0, random_state=7),
        fit=lambda model: model.fit([1.0, 2.0, 3.0]),
        outputs=lambda model: model.predict(3),
        tmp_path=tmp_path,
    )


def test_load_refuses_a_model_of_another_class(tmp_path: Path) -> None:
    path = MeanModel().fit([1.0]).save(tmp_path / "m.pkl")
    with pytest.raises(CrmindError, match=r"not a .*OtherModel"):
        OtherModel.load(path)


def test_load_refuses_a_file_that_is_no_model(tmp_path: Path) -> None:
    path = tmp_path / "junk.pkl"
    path.write_bytes(b"not a pickle")
    with pytest.raises(CrmindError, match="not a crmind model file"):
        MeanModel.load(path)


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CrmindError, match=r"absent\.pkl: no such model file"):
        MeanModel.load(tmp_path / "absent.pkl")
