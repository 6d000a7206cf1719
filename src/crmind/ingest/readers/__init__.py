"""Read data files into tables of strings, keeping the records that cannot be read as rejects.

``read_table(path)`` reads CSV / TSV / delimited text, Excel (.xlsx), JSON, JSON Lines and Parquet,
plain or compressed (.xz, .gz, .zip), detects text encoding and delimiter, and returns a
:class:`RawTable`: a polars frame whose columns are all strings, led by ``_row``, the record's place
in the file as a person would look for it:

- CSV, TSV and XLSX: the spreadsheet row; the header is row 1, the first data record row 2. In CSV
  each record is one row, so a quoted field over several lines does not shift later numbers;
- JSON Lines: the line number, from 1;
- JSON arrays and Parquet: the position of the record, from 1.

Records that cannot become a row (wrong number of fields, invalid JSON, a field too long ...) are
:class:`RowReject` values with the same numbering, a reason and their raw content. A file that
cannot be read at all raises :class:`~crmind.errors.ImportFileError`.
"""

from crmind.ingest.readers.model import RawTable, RowReject
from crmind.ingest.readers.table import read_table

__all__ = ["RawTable", "RowReject", "read_table"]
