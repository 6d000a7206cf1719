"""Vectorised cleaning and parsing of imported columns.

Every function takes a polars Series as read from a file (String, nulls for empty cells; typed
columns are accepted too) and works on whole columns with polars expressions; per-value Python runs
only over distinct values (phone numbers). Parsers return a :class:`Parsed`: the values, a Boolean
``invalid`` mask (non-null input that did not parse, for per-row reject reasons) and a ``detail``
saying how the column was read.

=====================  ===============================================  ===============
function               does                                             result
=====================  ===============================================  ===============
``clean_text``         trim, collapse whitespace runs, "" -> null       String
``parse_decimal``      ``1,234.50`` ``£3.40`` ``(12.00)`` ``1.234,50``  Parsed Float64
``parse_integer``      ``6`` ``-12`` ``6.0`` (``6.5`` is invalid)       Parsed Int64
``parse_datetime``     format detected per column, converted to UTC     Parsed Datetime
``normalize_email``    trim, lower-case, plausibility check             Parsed String
``normalize_phone``    E.164 via ``phonenumbers``                       Parsed String
``country_code``       names / codes -> ISO 3166-1 alpha-2              String
``flag_outliers``      log-scale IQR fence on magnitudes                Boolean
=====================  ===============================================  ===============
"""

from crmind.ingest.cleaning.contacts import normalize_email, normalize_phone
from crmind.ingest.cleaning.countries import country_code, known_countries
from crmind.ingest.cleaning.date_formats import DEFAULT_FORMATS, DateFormat
from crmind.ingest.cleaning.datetimes import parse_datetime
from crmind.ingest.cleaning.numeric import parse_decimal, parse_integer
from crmind.ingest.cleaning.outliers import flag_outliers
from crmind.ingest.cleaning.parsed import Parsed
from crmind.ingest.cleaning.text import clean_text

__all__ = [
    "DEFAULT_FORMATS",
    "DateFormat",
    "Parsed",
    "clean_text",
    "country_code",
    "flag_outliers",
    "known_countries",
    "normalize_email",
    "normalize_phone",
    "parse_datetime",
    "parse_decimal",
    "parse_integer",
]
