import pytest

from crmind.campaigns.spec import CampaignSpecError, Content, Variant
from crmind.campaigns.templates import (
    MessageContext,
    ProductPick,
    check_templates,
    coupon_code,
    render,
)

CONTENT = Content(
    subject={"en": "{{ first_name }}, picked for you", "zh": "{{ first_name }}，为您精选"},
    text={
        "en": "{% for p in products %}{{ p.name }}: {{ p.reason }}\n{% endfor %}Code {{ coupon }}",
        "zh": "{% for p in products %}{{ p.name }}（{{ p.reason }}）\n{% endfor %}"
        "优惠码 {{ coupon }}",
    },
    html={"en": "<p>Hi {{ name }}</p>"},
)


def _context(language: str = "en", name: str = "Ada Lovelace") -> MessageContext:
    return MessageContext(
        customer_id=3,
        first_name=name.split()[0],
        name=name,
        language=language,
        coupon="WB123",
        products=[ProductPick(1, "Blue mug", "bought with tea cups", 4.5)],
    )


def test_a_message_is_personalised_in_the_customers_language() -> None:
    english = render(CONTENT, _context("en"))
    chinese = render(CONTENT, _context("zh"))
    assert english.subject == "Ada, picked for you"
    assert "Blue mug: bought with tea cups" in english.text
    assert "Code WB123" in english.text
    assert chinese.subject == "Ada，为您精选"
    assert "优惠码 WB123" in chinese.text


def test_a_language_without_a_template_falls_back_to_the_default() -> None:
    assert render(CONTENT, _context("fr")).language == "en"


def test_html_escapes_customer_data() -> None:
    html = render(CONTENT, _context(name="<script>x</script> Doe")).html
    assert html is not None
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_variant_replaces_only_what_it_changes() -> None:
    variant = Variant(name="B", subject={"en": "Last chance, {{ first_name }}"})
    rendered = render(CONTENT, _context(), variant)
    assert rendered.subject == "Last chance, Ada"
    assert "Blue mug" in rendered.text


def test_templates_cannot_reach_python_internals() -> None:
    content = Content(
        subject={"en": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, text={"en": "x"}
    )
    with pytest.raises(CampaignSpecError, match=r"content\.subject\.en"):
        check_templates(content, [])


def test_an_unknown_variable_is_named_when_the_campaign_is_checked() -> None:
    content = Content(subject={"en": "Hi {{ frist_name }}"}, text={"en": "x"})
    with pytest.raises(CampaignSpecError, match="frist_name"):
        check_templates(content, [])


def test_coupon_codes_are_unique_per_customer_and_need_the_key() -> None:
    codes = {coupon_code(b"k" * 32, "WB", 1, customer) for customer in range(500)}
    assert len(codes) == 500
    assert coupon_code(b"k" * 32, "WB", 1, 7) != coupon_code(b"j" * 32, "WB", 1, 7)
    assert all(code.startswith("WB") for code in codes)
