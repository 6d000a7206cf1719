"""Parse and check every mapped field of a file, column by column, keeping a reason per bad row.

The work is vectorised: each field is parsed once for the whole column, and a row's reasons are
gathered into one text ("unparseable date in occurred_at: '31/31/2020'; missing required field
'order_number'"). Kind-specific rules (returns, duplicates, identities) live in
:mod:`crmind.ingest.rules`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import polars as pl

from crmind import columns as c
from crmind.ingest import cleaning as clean
from crmind.ingest.fields import FieldSpec, FieldType, fields_of
from crmind.ingest.mapping import ColumnMapping
from crmind.ingest.readers.model import RawTable

logger = logging.getLogger(__name__)

REASON_PREFIX = "_reason__"
"""Columns named ``_reason__<field>`` hold the reason a row fails on that field, else null."""

FIELD_DTYPES: dict[FieldType, pl.DataType] = {
    FieldType.KEY: pl.String(),
    FieldType.TEXT: pl.String(),
    FieldType.INTEGER: pl.Int64(),
    FieldType.DECIMAL: pl.Float64(),
    FieldType.DATETIME: pl.Datetime("us"),
    FieldType.DATE: pl.Date(),
    FieldType.EMAIL: pl.String(),
    FieldType.PHONE: pl.String(),
    FieldType.BOOLEAN: pl.Boolean(),
}
"""The type of each field once parsed (also of a field the file does not have)."""

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否")


@dataclass(frozen=True)
class ValidationOptions:
    """How to read values: the zone of naive timestamps, date formats, phone region, ..."""

    timezone: str = "UTC"
    date_formats: tuple[str, ...] = ()
    dayfirst: bool | None = None
    phone_region: str = "GB"
    default_currency: str = "GBP"


@dataclass
class Checked:
    """A frame of parsed fields (``_row`` first) with one reason column per failed check."""

    frame: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def add_reason(self, name: str, reason: pl.Expr) -> None:
        """Attach a check: ``reason`` is a text expression, null where the row passes."""
        column = f"{REASON_PREFIX}{name}"
        if column in self.frame.columns:
            reason = pl.coalesce(pl.col(column), reason)
        self.frame = self.frame.with_columns(reason.alias(column))

    @property
    def reason_columns(self) -> list[str]:
        return [col for col in self.frame.columns if col.startswith(REASON_PREFIX)]

    def failing(self) -> pl.Expr:
        """True where the row has at least one reason."""
        cols = self.reason_columns
        if not cols:
            return pl.lit(False)
        return pl.any_horizontal(pl.col(cols).is_not_null())


def parse_fields(table: RawTable, mapping: ColumnMapping, options: ValidationOptions) -> Checked:
    """Parse each mapped column into its field's type, with a reason where a value is bad."""
    specs = fields_of(mapping.kind)
    source = table.frame
    checked = Checked(pl.DataFrame({c.ROW: source[c.ROW]}))
    region = _phone_region(source, mapping, options)
    for name, spec in specs.items():
        column = mapping.column_for(name)
        raw = clean.clean_text(source[column]) if column is not None else None
        if raw is None:
            checked.frame = checked.frame.with_columns(
                pl.lit(None, FIELD_DTYPES[spec.type]).alias(name)
            )
            continue
        checked.frame = checked.frame.with_columns(raw.alias(f"_raw__{name}"))
        _parse_one(checked, spec, raw, options, region)
        if spec.required:
            checked.add_reason(
                name,
                pl.when(pl.col(f"_raw__{name}").is_null()).then(
                    pl.lit(f"missing required field '{name}'")
                ),
            )
    for name, spec in specs.items():
        if spec.required and mapping.column_for(name) is None and name != c.ORDER_NUMBER:
            checked.add_reason(name, pl.lit(f"missing required field '{name}'"))
    return checked


def _parse_one(
    checked: Checked,
    spec: FieldSpec,
    raw: pl.Series,
    options: ValidationOptions,
    region: pl.Series | str,
) -> None:
    name = spec.name
    too_long = raw.str.len_chars() > spec.max_chars
    checked.add_reason(
        name,
        pl.when(pl.lit(too_long)).then(
            pl.format(
                "field '{}' is too long: {} characters (limit {})",
                pl.lit(name),
                pl.lit(raw.str.len_chars()),
                pl.lit(spec.max_chars),
            )
        ),
    )
    parsed: clean.Parsed | None = None
    problem = ""
    if spec.type in (FieldType.KEY, FieldType.TEXT):
        values = raw
    elif spec.type is FieldType.DECIMAL:
        parsed, problem = clean.parse_decimal(raw), "non-numeric {} value '{}'"
    elif spec.type is FieldType.INTEGER:
        parsed, problem = clean.parse_integer(raw), "not a whole number in {}: '{}'"
    elif spec.type in (FieldType.DATETIME, FieldType.DATE):
        parsed = clean.parse_datetime(
            raw,
            formats=list(options.date_formats) or None,
            timezone=options.timezone,
            dayfirst=options.dayfirst,
        )
        problem = "unparseable date in {}: '{}'"
        if parsed.detail:
            checked.notes.append(f"{name}: {parsed.detail}")
    elif spec.type is FieldType.EMAIL:
        parsed, problem = clean.normalize_email(raw), "invalid e-mail address in {}: '{}'"
    elif spec.type is FieldType.PHONE:
        parsed = clean.normalize_phone(raw, default_region=region)
        problem = "invalid phone number in {}: '{}'"
    elif spec.type is FieldType.BOOLEAN:
        parsed, problem = _parse_boolean(raw), "not a yes/no value in {}: '{}'"
    if parsed is not None:
        values = parsed.values
        if spec.type is FieldType.DATE:
            values = values.dt.date()
        checked.add_reason(
            name,
            pl.when(pl.lit(parsed.invalid)).then(
                pl.format(problem, pl.lit(name), pl.col(f"_raw__{name}"))
            ),
        )
    checked.frame = checked.frame.with_columns(values.alias(name))


def _parse_boolean(raw: pl.Series) -> clean.Parsed:
    lowered = raw.str.to_lowercase()
    values = (
        pl.select(
            pl.when(lowered.is_in(TRUE_WORDS))
            .then(True)
            .when(lowered.is_in(FALSE_WORDS))
            .then(False)
            .otherwise(None)
        )
        .to_series()
        .alias(raw.name)
    )
    return clean.Parsed(values=values, invalid=raw.is_not_null() & values.is_null())


def _phone_region(
    source: pl.DataFrame, mapping: ColumnMapping, options: ValidationOptions
) -> pl.Series | str:
    country_col = mapping.column_for(c.COUNTRY)
    if mapping.column_for(c.PHONE) is None or country_col is None:
        return options.phone_region
    codes = clean.country_code(clean.clean_text(source[country_col]))
    return codes.fill_null(options.phone_region)


def split_rejects(table: RawTable, checked: Checked) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Separate rows with a reason from the rest.

    Returns ``(valid, rejects)``: ``valid`` holds the parsed fields without bookkeeping columns;
    ``rejects`` has ``_row``, ``field`` (the first failing field), ``reason`` (all of them) and
    ``raw`` (the record as read, as JSON), the reader's own rejects included, sorted by row.
    """
    reasons = checked.reason_columns
    frame = checked.frame
    failing = checked.failing()
    field_names: list[pl.Expr] = [
        pl.when(pl.col(r).is_not_null()).then(pl.lit(r[len(REASON_PREFIX) :])) for r in reasons
    ]
    field_expr = pl.coalesce(field_names or [pl.lit(None, pl.String)])
    reason_expr = (
        pl.concat_list(reasons).list.drop_nulls().list.join("; ")
        if reasons
        else pl.lit(None, pl.String)
    )
    bad = frame.filter(failing).select(
        c.ROW, field_expr.alias("field"), reason_expr.alias("reason")
    )
    raw = (
        table.frame.join(bad.select(c.ROW), on=c.ROW, how="semi").select(
            c.ROW, pl.struct(pl.exclude(c.ROW)).struct.json_encode().alias("raw")
        )
        if bad.height
        else pl.DataFrame(schema={c.ROW: pl.Int64, "raw": pl.String})
    )
    rejects = bad.join(raw, on=c.ROW, how="left")
    reader_rejects = pl.DataFrame(
        {
            c.ROW: [r.row for r in table.rejects],
            "field": [r.field for r in table.rejects],
            "reason": [r.reason for r in table.rejects],
            "raw": [r.raw for r in table.rejects],
        },
        schema={c.ROW: pl.Int64, "field": pl.String, "reason": pl.String, "raw": pl.String},
    )
    rejects = pl.concat([rejects.cast({c.ROW: pl.Int64}), reader_rejects], how="vertical").sort(
        c.ROW
    )
    keep = [col for col in frame.columns if not col.startswith("_") or col == c.ROW]
    valid = frame.filter(~failing).select(keep)
    return valid, rejects
