import pytest

from crmind.campaigns.spec import CampaignSpecError, load_spec

MINIMAL = """
name: welcome
content:
  subject: {en: "Welcome {{ first_name }}"}
  text: {en: "Hello"}
"""


def test_a_minimal_spec_gets_the_defaults_a_marketer_expects() -> None:
    spec = load_spec(MINIMAL)
    assert spec.trigger.kind == "once"
    assert spec.channel.kind == "email"
    assert spec.experiment.holdout == pytest.approx(0.1)
    assert spec.limits.frequency_cap == 2


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("trigger: {kind: schedule, cron: 'every monday'}", "cron"),
        ("trigger: {kind: event}", "event"),
        ("trigger: {kind: event, event: segment_entry}", "segment"),
        ("channel: {kind: webhook}", "url"),
        ("experiment: {holdout: 1.5}", "experiment.holdout"),
        ("audience: {scores: [{kind: churn}]}", "min, max or top_percent"),
        ("audience: {fields: [{field: country, op: in, value: France}]}", "list"),
        ("experiment: {variants: [{name: A}, {name: A}]}", "distinct"),
        ("colour: red", "colour"),
    ],
)
def test_a_bad_field_is_named_in_the_error(extra: str, named: str) -> None:
    with pytest.raises(CampaignSpecError, match=named):
        load_spec(MINIMAL + extra + "\n", source="bad.yaml")


def test_the_default_language_needs_a_text() -> None:
    with pytest.raises(CampaignSpecError, match="default language en"):
        load_spec("name: x\ncontent: {subject: {zh: 你好}, text: {zh: 你好}}\n")


def test_text_that_is_not_a_mapping_is_refused_with_the_source() -> None:
    with pytest.raises(CampaignSpecError, match=r"^list\.yaml: expected a mapping"):
        load_spec("- a\n- b\n", source="list.yaml")
