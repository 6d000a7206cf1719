"""Message rendering: sandboxed Jinja2 templates per language, personalised per customer.

A template sees only :class:`MessageContext` (name, segment, products with reasons, coupon,
unsubscribe link): no attribute access to Python objects beyond that, no file system, no imports
(Jinja2's SandboxedEnvironment). An unknown variable is an error, not an empty string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crmind.campaigns.spec import CampaignSpecError, Content, Variant

_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


@dataclass(frozen=True)
class ProductPick:
    """A recommended product as a template sees it."""

    product_id: int
    name: str
    reason: str | None = None
    price: float | None = None


@dataclass(frozen=True)
class MessageContext:
    """What a template may use."""

    customer_id: int
    first_name: str
    name: str
    language: str
    segment: str | None = None
    stage: str | None = None
    coupon: str | None = None
    unsubscribe_url: str | None = None
    campaign: str = ""
    products: list[ProductPick] = field(default_factory=list)

    def variables(self) -> dict[str, Any]:
        values = asdict(self)
        values["products"] = [asdict(product) for product in self.products]
        return values


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None
    language: str


def localised(templates: dict[str, str], language: str, default: str) -> tuple[str, str]:
    """The template in ``language`` if there is one, else in ``default``; with its language."""
    if language in templates:
        return templates[language], language
    return templates[default], default


def render(
    content: Content, context: MessageContext, variant: Variant | None = None
) -> RenderedMessage:
    """Render a message; CampaignSpecError names the template and language that failed."""
    subjects = (variant.subject if variant and variant.subject else None) or content.subject
    texts = (variant.text if variant and variant.text else None) or content.text
    subject, language = localised(subjects, context.language, content.default_language)
    text, _ = localised(texts, language, content.default_language)
    variables = context.variables() | {"language": language}
    html = None
    if content.html:
        html_template, _ = localised(content.html, language, content.default_language)
        html = _render(_HTML, html_template, variables, f"content.html.{language}")
    return RenderedMessage(
        subject=_render(_TEXT, subject, variables, f"content.subject.{language}").strip(),
        text=_render(_TEXT, text, variables, f"content.text.{language}"),
        html=html,
        language=language,
    )


def check_templates(content: Content, variants: list[Variant]) -> None:
    """Compile every template of a campaign and render it once on a sample customer, so a typo
    or an unknown variable is named when the campaign is created, not when it sends."""
    sample = MessageContext(
        customer_id=0,
        first_name="Ada",
        name="Ada Lovelace",
        language=content.default_language,
        segment="Champions",
        stage="active",
        coupon="SAMPLE",
        unsubscribe_url="https://example.invalid/unsubscribe",
        campaign="sample",
        products=[ProductPick(1, "Sample product", "bought with what you like", 9.99)],
    )
    for language in {*content.subject, *content.text}:
        for variant in [None, *variants]:
            render(content, _with_language(sample, language), variant)


def _with_language(context: MessageContext, language: str) -> MessageContext:
    return MessageContext(**{**context.__dict__, "language": language})


@lru_cache(maxsize=512)
def _compiled(env: ImmutableSandboxedEnvironment, source: str) -> Template:
    """Compiling costs milliseconds; a campaign renders the same few templates thousands of
    times."""
    return env.from_string(source)


def _render(
    env: ImmutableSandboxedEnvironment, source: str, variables: dict[str, Any], where: str
) -> str:
    try:
        return _compiled(env, source).render(variables)
    except TemplateError as error:
        raise CampaignSpecError(f"{where}: {error.__class__.__name__}: {error}") from error


def coupon_code(key: bytes, prefix: str, campaign_id: int, customer_id: int) -> str:
    """A coupon code unique to the customer and campaign, that nobody can guess without the key
    (and that the shop can check by recomputing it)."""
    digest = hmac.new(key, f"{campaign_id}:{customer_id}".encode(), hashlib.sha256).digest()
    return prefix + base64.b32encode(digest[:5]).decode()
