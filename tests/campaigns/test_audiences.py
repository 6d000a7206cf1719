import polars as pl
import pytest

from crmind.campaigns.audiences import select_audience
from crmind.campaigns.spec import Audience, CampaignSpecError


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "segments": [["vip", "Champions"], ["vip"], [], ["lost"], ["lost", "Champions"]],
            "stage": ["active", "at_risk", "at_risk", "churned", None],
            "score_churn": [0.1, 0.8, 0.9, 0.75, None],
            "score_clv": [500.0, 400.0, 10.0, 300.0, 50.0],
            "country": ["France", "United Kingdom", "France", None, "France"],
        }
    )


def test_rules_combine_with_and_and_lists_with_or() -> None:
    audience = Audience.model_validate(
        {"stages": ["at_risk", "churned"], "scores": [{"kind": "churn", "min": 0.7}]}
    )
    selection = select_audience(_frame(), audience)
    assert selection.customer_ids == [2, 3, 4]
    assert [step.remaining for step in selection.steps] == [5, 3, 3]


def test_top_percent_keeps_the_highest_scores() -> None:
    audience = Audience.model_validate(
        {"scores": [{"kind": "churn", "min": 0.7}, {"kind": "clv", "top_percent": 40}]}
    )
    assert select_audience(_frame(), audience).customer_ids == [2]


def test_segments_match_by_key_or_name() -> None:
    audience = Audience.model_validate({"segments": ["Champions"]})
    assert select_audience(_frame(), audience).customer_ids == [1, 5]


def test_field_rules_and_uploaded_lists() -> None:
    audience = Audience.model_validate(
        {
            "customer_ids": [1, 3, 4, 5],
            "fields": [{"field": "country", "op": "!=", "value": "France"}],
        }
    )
    assert select_audience(_frame(), audience).customer_ids == [4]


def test_a_rule_on_a_score_never_stored_is_an_error_not_everybody() -> None:
    audience = Audience.model_validate({"scores": [{"kind": "purchase", "min": 0.5}]})
    with pytest.raises(CampaignSpecError, match="no stored score of kind 'purchase'"):
        select_audience(_frame(), audience)


def test_an_unknown_field_is_named() -> None:
    audience = Audience.model_validate({"fields": [{"field": "email", "value": "x"}]})
    with pytest.raises(CampaignSpecError, match="unknown field 'email'"):
        select_audience(_frame(), audience)
