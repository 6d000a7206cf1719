"""The stratified tenth held back from a fine-tuned network (crmind.text.held_back)."""

from __future__ import annotations

import numpy as np

from crmind.text.held_back import held_back_tenth


def test_a_tenth_of_each_class_is_held_back_the_same_way_each_time() -> None:
    target = np.array([0] * 200 + [2] * 100)
    back = held_back_tenth(target, random_state=0)
    assert (back[target == 0].sum(), back[target == 2].sum()) == (20, 10)
    assert (held_back_tenth(target, random_state=0) == back).all()
    assert (held_back_tenth(target, random_state=1) != back).any()


def test_small_classes_hold_back_at_least_one_and_the_smallest_none() -> None:
    target = np.array([0] * 6 + [1] * 3 + [2] * 2)
    back = held_back_tenth(target, random_state=0)
    assert back[target == 0].sum() == 1
    assert back[target == 1].sum() == 1
    assert back[target == 2].sum() == 0
