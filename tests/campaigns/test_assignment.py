import pytest

from crmind.campaigns.assignment import HOLDOUT, group_of
from crmind.campaigns.spec import Experiment


def test_groups_are_fixed_per_customer_and_campaign() -> None:
    experiment = Experiment(holdout=0.3)
    first = [group_of("campaign:1", customer, experiment) for customer in range(1000)]
    again = [group_of("campaign:1", customer, experiment) for customer in range(1000)]
    other = [group_of("campaign:2", customer, experiment) for customer in range(1000)]
    assert first == again
    assert first != other


def test_the_holdout_and_variants_get_their_shares() -> None:
    experiment = Experiment.model_validate(
        {"holdout": 0.2, "variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 3}]}
    )
    groups = [group_of("campaign:9", customer, experiment) for customer in range(20_000)]
    assert groups.count(HOLDOUT) / len(groups) == pytest.approx(0.2, abs=0.015)
    assert groups.count("A") / len(groups) == pytest.approx(0.2, abs=0.015)
    assert groups.count("B") / len(groups) == pytest.approx(0.6, abs=0.015)
