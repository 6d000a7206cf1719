"""Strings of the customers page."""

TEXTS: dict[str, dict[str, str]] = {
    "en": {},
    "zh": {},
}
