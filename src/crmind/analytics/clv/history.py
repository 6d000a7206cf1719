"""Validated purchase histories (frequency, recency, T) and the groupings the models compute on.

Every CLV model takes plain arrays; :class:`PurchaseHistory` checks them once (same length, finite,
non-negative, whole repeat counts, ``recency <= T``, zero recency without repeats) and raises
:class:`~crmind.errors.ModelDataError` naming the field and the first bad value.

The likelihoods and predictions only need a few distinct values: the special functions of the BTYD
models depend on (frequency, T) or (frequency, recency) pairs, of which there are far fewer than
customers. :attr:`PurchaseHistory.by_frequency_age` and :attr:`PurchaseHistory.by_frequency_recency`
give those pairs and the index mapping each customer back to its pair, and
:meth:`PurchaseHistory.compressed` collapses identical customers into one weighted row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crmind.errors import ModelDataError

MIN_CUSTOMERS: Final = 10
"""Fewest customers a purchase model (BG/NBD, Pareto/NBD) is fitted on."""
MIN_PURCHASE_REPEAT_BUYERS: Final = 3
"""Fewest repeat buyers (frequency > 0) a purchase model is fitted on."""
MIN_SPEND_REPEAT_BUYERS: Final = 10
"""Fewest repeat buyers the Gamma-Gamma spend model is fitted on."""

FloatArray = NDArray[np.float64]


def as_float_array(name: str, values: ArrayLike) -> FloatArray:
    """``values`` as a 1-D float array of finite, non-negative numbers, or ModelDataError."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ModelDataError(f"{name} must be numbers: {exc}") from exc
    if array.ndim != 1:
        raise ModelDataError(f"{name} must be one-dimensional, got shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        at = int(np.argmin(finite))
        raise ModelDataError(
            f"{name} has {int((~finite).sum())} missing or non-finite value(s) (first at "
            f"position {at}: {array[at]}); every value must be a finite number"
        )
    negative = array < 0
    if negative.any():
        at = int(np.argmax(negative))
        raise ModelDataError(
            f"{name} has {int(negative.sum())} negative value(s) (first at position {at}: "
            f"{array[at]}); it must be >= 0"
        )
    return array


def check_same_length(**arrays: FloatArray) -> int:
    """The common length of ``arrays``, or ModelDataError naming each field's length."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ModelDataError(f"mismatched lengths: {described} values; they must be equal")
    return next(iter(lengths.values()), 0)


def check_whole(name: str, array: FloatArray) -> None:
    """ModelDataError unless every value of ``array`` is a whole number."""
    fractional = array != np.floor(array)
    if fractional.any():
        at = int(np.argmax(fractional))
        raise ModelDataError(
            f"{name} must be whole numbers of repeat purchases; position {at} is {array[at]}"
        )


@dataclass(frozen=True)
class Pairs:
    """Distinct (frequency, value) pairs and, per row, the index of its pair."""

    frequency: FloatArray
    value: FloatArray
    inverse: NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class PurchaseHistory:
    """Repeat-purchase histories of customers, one row each (or one weighted row per kind).

    ``frequency``: repeat purchases (whole numbers); ``recency``: time of the last purchase since
    the first; ``T``: time since the first purchase at the end of observation; ``weight``: how
    many identical customers a row stands for (1 unless :meth:`compressed`).
    Build it with :meth:`of`, which validates.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    weight: FloatArray

    @classmethod
    def of(cls, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> PurchaseHistory:  # noqa: N803
        """Validate the three arrays (see the module docstring) into a history."""
        x = as_float_array("frequency", frequency)
        t_x = as_float_array("recency", recency)
        age = as_float_array("T", T)
        check_same_length(frequency=x, recency=t_x, T=age)
        check_whole("frequency", x)
        late = t_x > age * (1 + 1e-12)
        if late.any():
            at = int(np.argmax(late))
            raise ModelDataError(
                f"recency is greater than T for {int(late.sum())} customer(s) (first at position "
                f"{at}: recency {t_x[at]} > T {age[at]}); the last purchase cannot come after "
                "the end of observation"
            )
        stray = (x == 0) & (t_x != 0)
        if stray.any():
            at = int(np.argmax(stray))
            raise ModelDataError(
                f"recency must be 0 when frequency is 0; {int(stray.sum())} customer(s) are not "
                f"(first at position {at}: recency {t_x[at]})"
            )
        return cls(x, t_x, age, np.ones_like(x))

    @property
    def n_customers(self) -> int:
        """Customers the history describes (the sum of the weights)."""
        return round(float(self.weight.sum()))

    @property
    def n_repeat_buyers(self) -> int:
        """Customers with at least one repeat purchase."""
        return round(float(self.weight[self.frequency > 0].sum()))

    def require(self, model: str, *, min_customers: int, min_repeat_buyers: int) -> None:
        """ModelDataError unless there are enough customers and repeat buyers to fit ``model``."""
        if self.n_customers < min_customers:
            raise ModelDataError(
                f"{model} needs at least {min_customers} customers; found {self.n_customers}"
            )
        if self.n_repeat_buyers < min_repeat_buyers:
            raise ModelDataError(
                f"{model} needs at least {min_repeat_buyers} repeat buyers (customers with "
                f"frequency > 0); found {self.n_repeat_buyers} among {self.n_customers} customers"
            )

    def subset(self, rows: NDArray[np.intp]) -> PurchaseHistory:
        """The history of the customers at positions ``rows`` (already validated)."""
        return PurchaseHistory(
            self.frequency[rows], self.recency[rows], self.T[rows], self.weight[rows]
        )

    def compressed(self) -> PurchaseHistory:
        """Identical (frequency, recency, T) rows merged into one row whose weight counts them."""
        recency_values, recency_index = np.unique(self.recency, return_inverse=True)
        age_values, age_index = np.unique(self.T, return_inverse=True)
        x = self.frequency.astype(np.int64)
        n_recency, n_age = len(recency_values), len(age_values)
        if (int(x.max(initial=0)) + 1) * n_recency * n_age < 2**62:
            key = (x * n_recency + recency_index) * n_age + age_index
            unique_keys, inverse = np.unique(key, return_inverse=True)
            first = np.zeros(len(unique_keys), dtype=np.intp)
            first[inverse] = np.arange(len(key))
        else:  # pragma: no cover - needs ~2**62 distinct combinations
            stacked = np.column_stack([x, recency_index, age_index])
            _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
        weight = np.bincount(inverse.ravel(), weights=self.weight, minlength=len(first)).astype(
            np.float64
        )
        return PurchaseHistory(self.frequency[first], self.recency[first], self.T[first], weight)

    @cached_property
    def by_frequency_age(self) -> Pairs:
        """Distinct (frequency, T) pairs."""
        return _pairs(self.frequency, self.T)

    @cached_property
    def by_frequency_recency(self) -> Pairs:
        """Distinct (frequency, recency) pairs."""
        return _pairs(self.frequency, self.recency)

    @cached_property
    def by_age(self) -> tuple[FloatArray, NDArray[np.intp]]:
        """Distinct T values and, per row, the index of its value."""
        values, inverse = np.unique(self.T, return_inverse=True)
        return values, inverse.ravel()

    @cached_property
    def by_recency(self) -> tuple[FloatArray, NDArray[np.intp]]:
        """Distinct recency values and, per row, the index of its value."""
        values, inverse = np.unique(self.recency, return_inverse=True)
        return values, inverse.ravel()


def _pairs(frequency: FloatArray, values: FloatArray) -> Pairs:
    distinct, value_index = np.unique(values, return_inverse=True)
    key = frequency.astype(np.int64) * len(distinct) + value_index.ravel()
    unique_keys, inverse = np.unique(key, return_inverse=True)
    return Pairs(
        frequency=(unique_keys // len(distinct)).astype(np.float64),
        value=distinct[unique_keys % len(distinct)],
        inverse=inverse.ravel(),
    )
