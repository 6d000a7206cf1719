"""Which column of a file feeds which field: ``--map`` first, then a preset, then the names.

Names match when they are equal after lower-casing and dropping everything but letters and
digits ("Customer ID", "customer_id" and "CustomerID" all match ``customer_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crmind.errors import MappingError
from crmind.ingest.fields import IDENTITY_FIELDS, FieldSpec, ImportKind, fields_of
from crmind.ingest.presets import Preset


def normalize_name(name: str) -> str:
    """The form in which column names are compared: lower case letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def parse_map_option(pairs: list[str]) -> dict[str, str]:
    """Turn ``["Col A=email", ...]`` into ``{"Col A": "email"}``; raises on a malformed pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise MappingError("--map", f"{pair!r} is not of the form source_column=field")
        mapping[source.strip()] = target.strip()
    return mapping


@dataclass(frozen=True)
class ColumnMapping:
    """The resolved mapping of one file: field -> column, and the columns no field uses."""

    kind: ImportKind
    columns: dict[str, str]
    unused: tuple[str, ...]

    def column_for(self, field_name: str) -> str | None:
        return self.columns.get(field_name)


def resolve_mapping(
    path: Path,
    kind: ImportKind,
    header: list[str],
    explicit: dict[str, str] | None = None,
    preset: Preset | None = None,
) -> ColumnMapping:
    """Map the file's ``header`` to the fields of ``kind``.

    Raises MappingError naming the file when a ``--map`` names a missing column or an unknown
    field, or when a required field has no column.
    """
    specs = fields_of(kind)
    chosen: dict[str, str] = {}
    for source_col, target in (explicit or {}).items():
        if target not in specs:
            raise MappingError(
                path,
                f"--map {source_col}={target}: unknown field {target!r} for {kind} imports; "
                f"fields: {', '.join(specs)}",
            )
        if source_col not in header:
            raise MappingError(
                path, f"--map {source_col}={target}: no column {source_col!r}; columns: {header}"
            )
        chosen[target] = source_col
    if preset is not None:
        for source_col, target in preset.columns.items():
            if target not in chosen and source_col in header:
                chosen[target] = source_col
    taken = set(chosen.values())
    by_norm = {normalize_name(col): col for col in reversed(header)}
    for name, spec in specs.items():
        if name in chosen:
            continue
        column = _match(spec, by_norm, taken)
        if column is not None:
            chosen[name] = column
            taken.add(column)
    _check_required(path, kind, specs, chosen, header, preset)
    unused = tuple(col for col in header if col not in taken)
    return ColumnMapping(kind=kind, columns=chosen, unused=unused)


def _match(spec: FieldSpec, by_norm: dict[str, str], taken: set[str]) -> str | None:
    for candidate in (spec.name, *spec.synonyms):
        column = by_norm.get(normalize_name(candidate))
        if column is not None and column not in taken:
            return column
    return None


def _check_required(
    path: Path,
    kind: ImportKind,
    specs: dict[str, FieldSpec],
    chosen: dict[str, str],
    header: list[str],
    preset: Preset | None,
) -> None:
    synthesized = {"order_number"} if preset is not None and preset.order_number_from else set()
    missing = [
        name
        for name, spec in specs.items()
        if spec.required and name not in chosen and name not in synthesized
    ]
    if kind is ImportKind.ORDERS and not ({"unit_price", "amount"} & chosen.keys()):
        missing.append("unit_price or amount")
    if kind is ImportKind.CUSTOMERS and not (set(IDENTITY_FIELDS) & chosen.keys()):
        missing.append(" or ".join(IDENTITY_FIELDS))
    if missing:
        raise MappingError(
            path,
            f"no column for required field {', '.join(repr(m) for m in missing)} of {kind} "
            f"import; columns found: {header}; map one with --map COLUMN=FIELD",
        )
