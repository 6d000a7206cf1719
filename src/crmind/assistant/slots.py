"""Slot values read from a customer's free text, in English and Chinese: an order number, an
e-mail address, a phone number.

Customers write "#536365", "order 536365", "my order number is A1001", "订单536365",
"订单号：536365" or, when asked "which order?", just "536365". A digit run is ambiguous (an
order number or a phone number), so the reading depends on cues and on what the assistant
asked for:

1. e-mail addresses are taken first (their digits are not order numbers);
2. an order number after a cue ("#", "order", "invoice", "订单", "单号") is an order number;
3. a digit run that looks like a phone number (a leading ``+`` or ``0``, a phone cue such as
   "phone" / "手机" / "电话", a Chinese mobile number ``1[3-9]`` + 9 digits, or any run of 7+
   digits when the assistant asked for a contact) is a phone number;
4. what is left that looks like an order number (letters then 3+ digits, or 5+ digits; when the
   assistant asked for an order, 3+ digits) is an order number.

Phone numbers are kept as written; :func:`phone_candidates` reads them as E.164 under the
regions a customer is likely to mean, since "07911 123456" and "13812345678" name different
countries' numbers.

E-mails and phones are normalised by the rules of the imports
(:func:`crmind.ingest.cleaning.contacts.normalize_email` / ``normalize_phone``: lower case and a
plausible address; a valid number in E.164), so their keyed hashes match the stored ones. The
rules are restated here for one value at a time (the import's column functions cost about
5 ms a call, a quarter of a turn's budget); a test holds the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import phonenumbers

Expecting = Literal["order_number", "contact"] | None

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NOT_ALLOWED = r"\s@<>()\[\],;:\""
_LABEL = rf"[^{_NOT_ALLOWED}.]+"
_PLAUSIBLE_EMAIL = re.compile(
    rf"^[^{_NOT_ALLOWED}]+@{_LABEL}(?:\.{_LABEL})*\.[^{_NOT_ALLOWED}.]{{2,}}$"
)
_ORDER_CUE = re.compile(
    r"(?:#|№|\b(?:order|invoice)(?:\s*(?:number|num|no\.?|id|ref(?:erence)?))?"
    r"|订单(?:号|编号)?|单号|编号)"
    r"\s*(?:is|was|:|：|=|是|为)?\s*#?\s*"
    r"(?P<number>[A-Za-z]{0,3}-?\d{3,12}[A-Za-z]?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PHONE_RUN = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d\s\-().]{5,18}\d(?![A-Za-z0-9])")
_PHONE_CUE = re.compile(
    r"phone|mobile|tel\b|telephone|cell|number is|手机|电话|号码", re.IGNORECASE
)
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_BARE_ORDER = re.compile(r"(?<![A-Za-z0-9])(?P<number>[A-Za-z]{0,3}-?\d{3,12})(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Slots:
    """What a message names: an order number, an e-mail (normalised), a phone (as written)."""

    order_number: str | None = None
    email: str | None = None
    phone: str | None = None
    rest: str = field(default="", compare=False)  # the text without the values

    @property
    def has_contact(self) -> bool:
        return self.email is not None or self.phone is not None

    @property
    def any(self) -> bool:
        return self.order_number is not None or self.has_contact


def parse_slots(text: str, expecting: Expecting = None) -> Slots:
    """The slots of ``text`` (see the module docstring); ``expecting`` is what was asked for.
    ``rest`` is the text without the values (cue words such as "order" stay)."""
    email = None
    for found in _EMAIL.finditer(text):
        email = email_of(found.group(0))
        if email:
            break
    rest = _EMAIL.sub(" ", text)
    values = rest
    order = None
    cued = _ORDER_CUE.search(rest)
    if cued:
        order = cued.group("number")
        rest = rest[: cued.start()] + " " + rest[cued.end() :]
        values = values[: cued.start("number")] + " " + values[cued.end("number") :]
    phone = _phone_in(rest, expecting)
    if phone:
        rest = rest.replace(phone, " ")
        values = values.replace(phone, " ")
    if order is None:
        order = _bare_order(rest, expecting)
        if order is not None:
            values = values.replace(order, " ", 1)
    return Slots(
        order_number=_clean_order(order),
        email=email,
        phone=phone,
        rest=" ".join(values.replace("#", " ").split()),
    )


def _phone_in(text: str, expecting: Expecting) -> str | None:
    cue = _PHONE_CUE.search(text) is not None
    for found in _PHONE_RUN.finditer(text):
        run = found.group(0).strip()
        digits = re.sub(r"\D", "", run)
        if len(digits) < 7 or len(digits) > 15:
            continue
        if (
            run.startswith(("+", "0", "("))
            or _CN_MOBILE.match(digits)
            or cue
            or expecting == "contact"
        ):
            return run
    return None


def _bare_order(text: str, expecting: Expecting) -> str | None:
    for found in _BARE_ORDER.finditer(text):
        number = found.group("number")
        digits = sum(ch.isdigit() for ch in number)
        lettered = number[0].isalpha()
        if lettered or digits >= 5 or expecting == "order_number":
            return number
    return None


def _clean_order(number: str | None) -> str | None:
    return None if number is None else number.strip().lstrip("#").strip()


def order_number_variants(number: str) -> tuple[str, ...]:
    """The spellings an order number may be stored under: as written, upper case, and without
    a hyphen after its letters ("a-1001" -> "A-1001", "A1001")."""
    variants = [number, number.upper(), number.upper().replace("-", "")]
    return tuple(dict.fromkeys(variants))


def email_of(text: str) -> str | None:
    """An e-mail address as the imports store it (trimmed, lower case), or None if implausible."""
    address = re.sub(r"(?i)^mailto:", "", " ".join(text.split())).lower()
    return address if _PLAUSIBLE_EMAIL.match(address) else None


def phone_of(text: str, region: str | None) -> str | None:
    """A phone number in E.164 as the imports store it (valid numbers only), or None."""
    number = " ".join(text.split())
    if not number or not (region or number.startswith("+")):
        return None
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_candidates(phone: str, regions: tuple[str, ...]) -> list[str]:
    """``phone`` in E.164 as read under each of ``regions`` (written with ``+``: just once);
    the readings that are valid numbers, without repeats."""
    if phone.strip().startswith("+"):
        read = phone_of(phone, None)
        return [read] if read else []
    found = [phone_of(phone, region) for region in regions]
    return list(dict.fromkeys(p for p in found if p))
