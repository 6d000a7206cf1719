"""Strings of the segments page."""

TEXTS: dict[str, dict[str, str]] = {
    "en": {},
    "zh": {},
}
