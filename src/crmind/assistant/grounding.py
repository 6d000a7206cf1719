"""Is a model's text supported by its sources? The guard behind every LLM answer of the assistant.

A language model phrases answers from retrieved articles and the customer's own records; it must
never add a fact of its own. This checker is deliberately simple and strict, so that its verdict
can be explained in one line per problem:

- every *fact token* of the text must occur in the sources: numbers (amounts, quantities, days),
  tokens that mix letters and digits (order numbers, postcodes, dates such as ``2024-03-05``),
  e-mail addresses, URLs, month and weekday names, and number words ("thirty");
- a sentence with a negation ("not", "never", "cannot", 不, 没) needs a negated source sentence
  with mostly the same words, since adding a "not" turns a supported sentence into its opposite
  while keeping nearly every word;
- every sentence must share most of its content words with the sources (token overlap, light
  stemming; Chinese by character), so whole claims cannot be invented from common words.

False rejections are cheap (the caller shows its templated answer instead); a false acceptance
would put an invented fact in front of a customer. When in doubt, the checker rejects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DEFAULT_MIN_OVERLAP = 0.7
"""Share of a sentence's content words that must occur in the sources."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"']+", re.IGNORECASE)
# A run that holds a digit: 12, 12.50, 1,200, A1234, ORD-2024-001, 2024-03-05, 10:30, #10042.
_FACT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:/_\-]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A full stop ends a sentence only before a space (not inside 12.50 or shop.example).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])|\n+")


def _wordlist(words: str) -> list[str]:
    return words.split()


# "may" is left out: as a verb it is far more common than the month.
_MONTHS = _wordlist(
    "january february march april june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_WEEKDAYS = _wordlist("monday tuesday wednesday thursday friday saturday sunday")
_NUMBER_WORDS = {
    word: index
    for index, word in enumerate(
        _wordlist(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
    if word != "one"  # "one of our agents": too common to be a claim
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100, "twice": 2}
_CURRENCIES = {"£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "€": "EUR", "eur": "EUR"}
_CURRENCIES |= {"euro": "EUR", "euros": "EUR", "$": "USD", "usd": "USD", "dollar": "USD"}
_CURRENCIES |= {"dollars": "USD", "¥": "CNY", "cny": "CNY", "rmb": "CNY", "yuan": "CNY"}
_CURRENCIES |= {"元": "CNY"}
_CURRENCY_SYMBOLS = re.compile("[£€$¥元]")
_NEGATIONS = {"not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "isn't"}
_NEGATIONS |= {"aren't", "didn't", "wasn't", "weren't", "shouldn't", "couldn't", "none", "nor"}
_ZH_NEGATIONS = ("不", "没", "無", "无", "未", "别", "非")
# Words that carry no claim: a reply may use them freely ("Thank you, we can help with your order").
_STOPWORDS = set(
    _wordlist(
        """a an the and or but if then so as of to in on at by for from with about into over after
    before than this that these those it its it's is are was were be been being am do does did
    have has had having will would shall should can could may might must i me my mine we us our
    ours you your yours he she they them their his her there here what which who whom whose when
    where why how all any each some such only also just very too again further more most other
    own same up down out off please thank thanks hello hi dear regards best kind sorry yes okay
    ok sure glad happy help assist let know within per via get got go going one's customer
    customers team store shop us"""
    )
)


# Fact words are checked as facts, not counted again as words.
_NOT_CONTENT = _STOPWORDS | set(_MONTHS) | set(_WEEKDAYS) | set(_NUMBER_WORDS) | set(_CURRENCIES)


@dataclass(frozen=True)
class GroundingCheck:
    """The verdict on one text: ``supported`` when ``problems`` is empty."""

    problems: tuple[str, ...]

    @property
    def supported(self) -> bool:
        return not self.problems


def check_grounding(
    text: str,
    sources: Iterable[str],
    *,
    allowed_words: Iterable[str] = (),
    min_overlap: float = DEFAULT_MIN_OVERLAP,
) -> GroundingCheck:
    """Whether every fact and sentence of ``text`` is supported by ``sources``.

    ``allowed_words`` are extra words a sentence may use without counting against it (the
    customer's question, whose words an answer naturally repeats); they never vouch for a
    fact token, which only the sources can do.
    """
    source_text = _normalise("\n".join(sources))
    text = _normalise(text)
    if not text.strip():
        return GroundingCheck(("the reply is empty",))
    facts = _facts_of(source_text)
    vocabulary = _content_words(source_text) | _content_words(_normalise(" ".join(allowed_words)))
    problems: list[str] = []
    for fact in sorted(_shown(fact) for fact in _facts_of(text) - facts):
        problems.append(f"{fact!r} is not in the sources")
    negated_sources = [
        _content_words(sentence) for sentence in split_sentences(source_text) if _negated(sentence)
    ]
    for sentence in split_sentences(text):
        words = _content_words(sentence)
        if _negated(sentence) and not any(
            len(words & negated) >= min_overlap * len(words) for negated in negated_sources
        ):
            problems.append(f"sentence {_clip(sentence)!r} negates what the sources state")
        if not words:
            continue
        share = len(words & vocabulary) / len(words)
        if share < min_overlap:
            missing = ", ".join(sorted(words - vocabulary)[:5])
            problems.append(
                f"sentence {_clip(sentence)!r} shares {share:.0%} of its words with the sources "
                f"(needs {min_overlap:.0%}; not found: {missing})"
            )
    return GroundingCheck(tuple(problems))


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (English and Chinese end marks, line breaks)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def fact_tokens(text: str) -> set[str]:
    """The normalised fact tokens of ``text`` (see the module docstring); for tests and logs."""
    return {_shown(fact) for fact in _facts_of(_normalise(text))}


def _normalise(text: str) -> str:
    # NFKC folds full-width digits and letters (１２３, ＡＢ) to ASCII; Chinese text often has them.
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'")


def _facts_of(text: str) -> set[str | Decimal]:
    """Numbers as values (so 12.5 matches 12.50 and 1,200 matches 1200), other facts as strings."""
    found: set[str | Decimal] = set()
    for pattern in (_EMAIL, _URL):
        for match in pattern.finditer(text):
            found.add(match.group().rstrip(".,;:!?").lower())
        text = pattern.sub(" ", text)
    for match in _FACT.finditer(text):
        token = match.group().strip(".,:/_-").lower()
        if not any(ch.isdigit() for ch in token):
            continue
        plain = _ORDINAL.sub(r"\1", token)
        if not _NUMBER.fullmatch(plain):  # A1234, 2024-03-05, 10:30: the token itself is a fact
            found.add(token)
        # Numbers count as values, alone or inside a token: "£12.50" -> 12.5; "3-5 days" -> 3, 5.
        for number in _NUMBER.findall(plain):
            value = _number_value(number)
            if value is not None:
                found.add(value)
    for word in _WORD.findall(text.lower()):
        if word in _MONTHS or word in _WEEKDAYS:
            found.add(word)
        elif word in _NUMBER_WORDS:
            found.add(Decimal(_NUMBER_WORDS[word]))
        elif word in _CURRENCIES:
            found.add(_CURRENCIES[word])
    found.update(_CURRENCIES[symbol] for symbol in _CURRENCY_SYMBOLS.findall(text))
    return found


def _shown(fact: str | Decimal) -> str:
    return format(fact, "f") if isinstance(fact, Decimal) else fact


def _number_value(number: str) -> Decimal | None:
    # "1,200" is a thousands separator; "12,50" (European decimal comma) reads as 12.50.
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", number):
        number = number.replace(",", "")
    else:
        number = number.replace(",", ".")
    if number.count(".") > 1:  # a dotted date or version (05.03.2024): the string token decides
        return None
    try:
        return Decimal(number).normalize()
    except InvalidOperation:
        return None


def _negated(text: str) -> bool:
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    return bool(words & _NEGATIONS) or "n't" in lowered or any(n in text for n in _ZH_NEGATIONS)


def _content_words(text: str) -> set[str]:
    words = set(_CJK.findall(text))
    for word in _WORD.findall(text.lower()):
        if _CJK.match(word) or word in _NOT_CONTENT:
            continue
        stem = _stem(word)
        if len(stem) > 1 and stem not in _NOT_CONTENT:
            words.add(stem)
    return words


def _stem(word: str) -> str:
    """A light English stemmer: enough that "returned", "returns" and "return" meet."""
    word = word.removesuffix("'s")
    if word in _STOPWORDS:
        return word
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if suffix == "s" and word.endswith("ss"):  # address, process: no plural here
            break
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.removesuffix("e") if len(word) > 3 else word


def _clip(sentence: str, limit: int = 60) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
