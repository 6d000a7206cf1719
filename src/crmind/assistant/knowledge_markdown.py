"""Knowledge-base articles written in Markdown, the way people write help pages.

A file holds either **several articles**, one per ``## `` heading (the heading is the title,
the text up to the next heading of level 1 or 2 is the body; the ``# `` title and any text
before the first ``## `` introduce the file and are not an article), or **one article**: the
file's ``# `` title and everything under it.

Optional **front matter** between two ``---`` lines at the very top sets, for every article of
the file, ``language`` (``en``, ``zh`` ...; detected from each article's text when absent) and
``tags`` (``[shipping, delivery]`` or ``shipping, delivery``)::

    ---
    language: en
    tags: [returns, refunds]
    ---
    # Returns and refunds

    ## How long does a refund take? {#refund-time}
    Refunds reach your card within 5 to 10 business days ...

An article's **key** (what makes a second import an update, not a copy) is the file's name
without extension and the heading's slug (``returns.en/how-long-does-a-refund-take``); a
``{#name}`` written after the heading takes the slug's place (``returns.en/refund-time``), so the
key stays when the title is reworded. A one-article file's key is the file's name, or its
``{#name}``.
Headings inside fenced code blocks (````` ``` `````) are text, not headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crmind.errors import ImportFileError

FRONT_MATTER_FIELDS = ("language", "tags")
_HEADING = re.compile(r"^(#{1,2})\s+(.+?)\s*$")
_EXPLICIT_KEY = re.compile(r"\s*\{#([^{}\s]+)\}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BLOCK_START = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|>|\|)")
_HAN_END = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]$")
_HAN_START = re.compile(r"^[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class MarkdownArticle:
    """One article as written: its heading's line number for error messages."""

    line: int
    title: str
    body: str
    key: str | None  # the {#name} after the heading, if any


@dataclass(frozen=True)
class MarkdownFile:
    """The articles of one file and its front matter."""

    articles: tuple[MarkdownArticle, ...]
    language: str | None
    tags: tuple[str, ...]
    whole_file: bool  # one article under the file's '# ' title (no '## ' headings)


def parse_markdown(path: Path, text: str) -> MarkdownFile:
    """The articles of a Markdown file (see the module docstring); errors name file and line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    front, first_line = _front_matter(path, lines)
    headings = _headings(lines, first_line)
    whole_file = not any(level == 2 for _, level, _ in headings)
    if whole_file:
        articles = _whole_file(path, lines, headings)
    else:
        articles = _sections(path, lines, headings)
    language = front.get("language")
    tags = split_tags(front["tags"]) if "tags" in front else ()
    return MarkdownFile(tuple(articles), language or None, tags, whole_file)


def split_tags(value: str) -> tuple[str, ...]:
    """Tags written as ``[a, b]``, ``a, b`` or ``a; b``: stripped, empty ones left out, each
    once, in order."""
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    found = (part.strip().strip("'\"").strip() for part in re.split(r"[,;]", inner))
    return tuple(dict.fromkeys(tag for tag in found if tag))


def _front_matter(path: Path, lines: list[str]) -> tuple[dict[str, str], int]:
    """The front matter's fields and the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    fields: dict[str, str] = {}
    for index in range(1, len(lines)):
        line = lines[index]
        if line.strip() == "---":
            return fields, index + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise ImportFileError(
                path, f"line {index + 1}: front matter expects 'field: value', found {line!r}"
            )
        if name not in FRONT_MATTER_FIELDS:
            raise ImportFileError(
                path,
                f"line {index + 1}: unknown front-matter field {name!r} "
                f"(expected one of {', '.join(FRONT_MATTER_FIELDS)})",
            )
        fields[name] = value.strip()
    raise ImportFileError(path, "line 1: front matter opened with '---' is never closed")


def _headings(lines: list[str], first_line: int) -> list[tuple[int, int, str]]:
    """(line index, level, text) of each ``#`` / ``##`` heading outside code fences."""
    found: list[tuple[int, int, str]] = []
    fenced = False
    for index in range(first_line, len(lines)):
        line = lines[index]
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append((index, len(match.group(1)), match.group(2)))
    return found


def _title_and_key(text: str) -> tuple[str, str | None]:
    match = _EXPLICIT_KEY.search(text)
    if match is None:
        return text.strip().rstrip("#").strip(), None
    return text[: match.start()].strip(), match.group(1)


def _body(lines: list[str], start: int, end: int) -> str:
    """The text of lines ``start`` to ``end`` with soft line breaks joined, as Markdown shows
    it: a paragraph is one line (no space added between two Chinese characters); blank lines,
    list items, quotes and code blocks keep their breaks."""
    out: list[str] = []
    fenced = False
    joinable = False
    for line in lines[start:end]:
        stripped = line.strip()
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line.rstrip())
            joinable = False
        elif fenced or not stripped or _BLOCK_START.match(line) or not joinable:
            out.append(line.rstrip() if fenced else stripped)
            joinable = bool(stripped) and not fenced
        else:
            previous = out[-1]
            glue = "" if _HAN_END.search(previous) and _HAN_START.match(stripped) else " "
            out[-1] = previous + glue + stripped
    return "\n".join(out).strip()


def _sections(
    path: Path, lines: list[str], headings: list[tuple[int, int, str]]
) -> list[MarkdownArticle]:
    articles = []
    for position, (index, level, text) in enumerate(headings):
        if level != 2:
            continue
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        articles.append(_article(path, index, text, _body(lines, index + 1, end)))
    return articles


def _whole_file(
    path: Path, lines: list[str], headings: list[tuple[int, int, str]]
) -> list[MarkdownArticle]:
    if not headings:
        raise ImportFileError(path, "no '# ' title and no '## ' headings: an article needs a title")
    index, _, text = headings[0]
    return [_article(path, index, text, _body(lines, index + 1, len(lines)))]


def _article(path: Path, index: int, heading: str, body: str) -> MarkdownArticle:
    title, key = _title_and_key(heading)
    if not title:
        raise ImportFileError(path, f"line {index + 1}: the heading has no title text")
    if not body:
        raise ImportFileError(path, f"line {index + 1}: article {title!r} has no text under it")
    return MarkdownArticle(index + 1, title, body, key)
