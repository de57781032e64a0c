"""Reading export files and turning their text into typed canonical columns.

A file is read as text (CSV, with pyarrow's multi-threaded columnar reader) or as cell values
(XLSX, with openpyxl), never modified. Columns are renamed through the client's mapping; each
canonical column is then typed by its kind (see :mod:`arassess.ledger.columns`), vectorized:

- text is stripped (``pyarrow.compute``);
- dates are parsed by pandas with the file's format, once per distinct value (an export holds a
  few thousand distinct dates in a million rows), so the rules are exactly pandas' (31 February
  is not 3 March);
- amounts must match the file's convention (sign, digit groups, one decimal separator; a
  regular expression in RE2) before they are cast, so an amount written in the other convention
  is rejected rather than misread; '(12.50)' is -12.50;
- flags (yes/no, true/false, 1/0, x/empty) are looked up once per distinct value.

A value that cannot be typed is a *problem* (file, row, column, value, what was expected),
collected, not raised. Rows are numbered as in the file (the header is row 1); blank lines keep
their place in the numbering.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl.utils.exceptions import InvalidFileException

from arassess.config.client import FileSpec
from arassess.errors import InputError
from arassess.ledger.columns import COLUMNS, ColumnSpec, required_columns
from arassess.ledger.quality import PROBLEM_COLUMNS

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "ja", "j", "wahr", "oui", "si"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "", "nein", "falsch", "non"})
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
HEADER_ROWS = 1  # the header is row 1, so data row i (0-based, blank lines counted) is row i + 2
BLOCK_SIZE = 1 << 22  # bytes per block of the CSV reader (4 MB: two threads get work early)


@dataclass(frozen=True)
class RawFile:
    """A file as read: every column as text (canonical names after the mapping), the file row
    number of each data row, the export name of each canonical column, the extra columns found,
    and (XLSX only) the cells that were numbers or dates in the workbook."""

    spec: FileSpec
    table: pa.Table
    rows: np.ndarray
    export_names: dict[str, str]
    extra_columns: tuple[str, ...]
    cells: Mapping[str, pd.Series] = field(default_factory=dict)
    short: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros(0, np.int64), np.zeros(0, np.int64)), repr=False)
    """Rows with fewer fields than the header (positions, their field counts): not padded silently."""
    _stripped: dict[str, pa.ChunkedArray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.spec.path.name

    def __len__(self) -> int:
        return self.table.num_rows

    def file_rows(self, index: pd.Index | np.ndarray) -> np.ndarray:
        """Row numbers as the user sees them in the file, for row positions ``index``."""
        return self.rows[np.asarray(index, dtype=np.int64)]

    def raw(self, column: str) -> pa.ChunkedArray:
        """The column's text exactly as read (empty string for a missing value)."""
        return self.table.column(column)

    def text(self, column: str) -> pa.ChunkedArray:
        """The column's text with surrounding whitespace removed (computed once per column)."""
        if column not in self._stripped:
            values = self.table.column(column)
            padded = pc.any(pc.match_substring_regex(values, r"^\s|\s$")).as_py()
            self._stripped[column] = pc.utf8_trim_whitespace(values) if padded else values  # no copy when clean
        return self._stripped[column]

    def release_text(self) -> None:
        """Forget the stripped copies (memory: a large file's text is held once, as read)."""
        self._stripped.clear()

    def shown(self, column: str, positions: np.ndarray) -> np.ndarray:
        """The stripped text of ``column`` at row ``positions`` (the values problems show)."""
        return np.asarray(pc.take(self.text(column), pa.array(np.asarray(positions, dtype=np.int64))).to_pylist(),
                          dtype=object)

    def as_read(self, mask: np.ndarray) -> pd.DataFrame:
        """The rows of ``mask`` as read, with the export's column names (for rejected rows)."""
        picked = self.table.filter(pa.array(np.asarray(mask, dtype=bool)))
        frame = picked.to_pandas()
        return frame.rename(columns={c: self.export_names.get(c, c) for c in frame.columns})


def _header(data: bytes, spec: FileSpec) -> list[str]:
    """The header's column names (the first record, quotes honoured)."""
    cut = data.find(b"\n")
    first = (data if cut < 0 else data[:cut]).decode(spec.encoding).rstrip("\r")
    return [str(c).strip() for c in next(csv.reader([first], delimiter=spec.delimiter), [])]


def _decode_error(path, spec: FileSpec, reason: str) -> InputError:
    return InputError(f"{path} is not encoded as {spec.encoding} ({reason}); "
                      f"set 'encoding' for this file in client.yaml (e.g. cp1252).")


def _read_csv(data: bytes, spec: FileSpec) -> tuple[pa.Table, np.ndarray, np.ndarray | None]:
    """Every column as text and the file row of every record.

    pyarrow's reader skips blank lines, which would shift the row numbers; when the file has more
    lines than header + records (blank lines, or line breaks inside quoted values), or lines it
    cannot split into the header's columns, the file is read by pandas' parser instead, which keeps
    blank lines as (empty) records so the numbering stays the file's. The third value: each record's
    number of fields when the slow path read it (None when every record had the header's).
    """
    path = spec.path
    try:
        names = _header(data, spec)
    except UnicodeDecodeError as exc:
        raise _decode_error(path, spec, exc.reason) from None
    if not names or not any(names):
        raise InputError(f"The {spec.kind} file {path} is empty (no header row, no data); "
                         "expected a header row and data rows.")
    if len(set(names)) < len(names):
        return _read_csv_with_pandas(data, spec)
    options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_SIZE, encoding=spec.encoding)
    parse = pacsv.ParseOptions(delimiter=spec.delimiter, newlines_in_values=b'"' in data)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=options, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message or "utf8" in message or "decode" in message.lower():
            raise _decode_error(path, spec, "invalid bytes for this encoding") from None
        return _read_csv_with_pandas(data, spec)  # its messages name the line
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines != table.num_rows + HEADER_ROWS:
        return _read_csv_with_pandas(data, spec)
    return table, np.arange(table.num_rows, dtype=np.int64) + HEADER_ROWS + 1, None


def _field_counts(data: bytes, spec: FileSpec, records: int) -> np.ndarray | None:
    """Each data record's number of fields as the csv module splits it (blank lines: 0), or None
    when its records do not line up with the ``records`` pandas read."""
    try:
        text = data.decode(spec.encoding, errors="replace")
        counts = np.fromiter((len(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)),
                             dtype=np.int64)
    except csv.Error:
        return None
    return counts[1:] if len(counts) == records + 1 else None


def _read_csv_with_pandas(data: bytes, spec: FileSpec) -> tuple[pa.Table, np.ndarray, np.ndarray | None]:
    """The slow path for files with blank lines or repeated column names (pandas keeps blank lines
    as records and renames repeated names), as text columns."""
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, sep=spec.delimiter,
                            encoding=spec.encoding, skipinitialspace=False, skip_blank_lines=False)
    except UnicodeDecodeError as exc:
        raise _decode_error(spec.path, spec, exc.reason) from None
    except (pd.errors.ParserError, ValueError, KeyError, OSError) as exc:
        detail = " ".join(str(exc).split()).rstrip(".")
        raise InputError(f"{spec.path} could not be read as the {spec.kind} table: {detail}."
                         + header_row_hint(spec, required_columns(spec.kind))) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    table = pa.Table.from_pandas(frame.fillna(""), preserve_index=False)
    table = table.cast(pa.schema([pa.field(n, pa.string()) for n in table.column_names]))
    return table, np.arange(len(frame), dtype=np.int64) + HEADER_ROWS + 1, _field_counts(data, spec, len(frame))


def _excel_text(values: pd.Series) -> pd.Series:
    """Cell values as text: whole-number floats lose their '.0', date cells at midnight read as
    YYYY-MM-DD, empty cells as ''."""
    is_date = values.map(lambda v: hasattr(v, "year") and hasattr(v, "hour") and not v.hour and not v.minute)
    if is_date.any():
        values = values.where(~is_date, pd.to_datetime(values.where(is_date), errors="coerce").dt.strftime("%Y-%m-%d"))
    numeric = pd.to_numeric(values, errors="coerce")
    whole = numeric.notna() & (numeric == np.floor(numeric)) & values.map(type).isin([float, np.float64])
    if whole.any():
        values = values.where(~whole, numeric[whole].astype(np.int64).astype(str))
    return values.astype(object).where(values.notna(), "").astype(str)


def _looks_like_text(path: Path) -> bool:
    """The file's first bytes decode as text (a CSV export given an .xlsx name)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(2048)
        head.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return b"\0" not in head


def _read_excel(spec: FileSpec) -> tuple[pa.Table, np.ndarray, dict[str, pd.Series]]:
    """Every column as text, the file rows, and the typed cells (numbers and dates) by column."""
    try:
        frame = pd.read_excel(spec.path, sheet_name=spec.sheet, dtype=object, engine="openpyxl",
                              header=spec.header_row - 1)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        hint = (" It looks like a CSV file: name it .csv (and set its delimiter in client.yaml if it is "
                "not a comma)." if _looks_like_text(spec.path) else "")
        raise InputError(f"{spec.path} is not a readable .xlsx workbook ({type(exc).__name__}: {exc})."
                         + hint) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.reset_index(drop=True)
    cells = {str(c): frame[c] for c in frame.columns}
    text = pd.DataFrame({c: _excel_text(frame[c]) for c in frame.columns})
    table = pa.Table.from_pandas(text, preserve_index=False)
    return table, np.arange(len(frame), dtype=np.int64) + HEADER_ROWS + 1, cells


def _blank(table: pa.Table) -> np.ndarray:
    """Rows whose every cell is empty or whitespace (only rows whose first cell is empty are
    looked at further)."""
    if not table.num_columns or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    blank = pc.equal(pc.utf8_trim_whitespace(table.column(0)), "").to_numpy(zero_copy_only=False)
    where = np.flatnonzero(blank)
    if len(where):
        rest = table.take(pa.array(where))
        for column in rest.columns[1:]:
            blank[where] &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
    return blank


def read_file(spec: FileSpec, *, allow_no_rows: bool = False) -> RawFile:
    """Read one data file into text columns and apply the column mapping.

    Raises InputError for a missing or empty file, an unreadable format, or
    missing required columns (all of them listed at once). Blank lines are
    skipped but keep their place in the row numbering. A header without data
    rows is an error unless ``allow_no_rows`` (optional files).
    """
    path = spec.path
    if not path.is_file():
        raise InputError(f"The {spec.kind} file {path} does not exist. Check 'files.{spec.kind}' in client.yaml.")
    if path.stat().st_size == 0:
        raise InputError(f"The {spec.kind} file {path} is empty (0 bytes); expected a header row and data rows.")
    suffix = path.suffix.lower()
    cells: dict[str, pd.Series] = {}
    fields: np.ndarray | None = None
    try:
        if suffix in EXCEL_SUFFIXES:
            table, rows, cells = _read_excel(spec)
        elif suffix in CSV_SUFFIXES:
            data = path.read_bytes()
            table, rows, fields = _read_csv(data[_title_bytes(data, spec.header_row):], spec)
        else:
            raise InputError(f"{path}: unsupported file type '{path.suffix}'; use .csv or .xlsx.")
    except InputError:
        raise
    except (ValueError, KeyError, OSError, pa.ArrowException) as exc:
        detail = " ".join(str(exc).split()).rstrip(".")
        raise InputError(f"{path} could not be read as the {spec.kind} table: {detail}."
                         + header_row_hint(spec, required_columns(spec.kind))) from None
    rows = rows + (spec.header_row - 1)  # title rows above the header keep their place in the numbering
    keep = ~_blank(table)
    if not keep.all():  # positions change, file rows stay
        table, rows = table.filter(pa.array(keep)), rows[keep]
        cells = {c: s[keep].reset_index(drop=True) for c, s in cells.items()}
        fields = fields[keep] if fields is not None else None
    short = np.flatnonzero(fields < table.num_columns) if fields is not None else np.zeros(0, dtype=np.int64)
    if table.num_rows == 0 and not allow_no_rows:
        raise InputError(f"The {spec.kind} file {path} has a header but no data rows.")

    found = list(table.column_names)
    rename = {export: canonical for export, canonical in spec.columns.items() if export in found}
    mapped_missing = sorted(export for export in spec.columns if export not in found)
    names = [rename.get(c, c) for c in found]
    export_names = {canonical: export for export, canonical in rename.items()}
    export_names.update({c: c for c in names if c not in export_names})
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputError(f"{path}: more than one column maps to {dupes}; fix the mapping in client.yaml.")
    table = table.rename_columns(names)
    cells = {rename.get(c, c): s for c, s in cells.items()}

    missing = [c for c in required_columns(spec.kind) if c not in names]
    if spec.kind == "invoices" and "amount" in missing and "open_amount" in names:
        missing.remove("amount")  # an open-items export with only the open amount (intake checks the shape)
    if missing:
        hint = f" The mapping names columns not in the file: {mapped_missing}." if mapped_missing else ""
        hint += delimiter_hint(found, spec.delimiter) or header_row_hint(spec, missing)
        raise InputError(
            f"{path} is missing required column(s) {missing} for the {spec.kind} file. "
            f"Name them so in the file or map the export's names under 'columns.{spec.kind}' in client.yaml."
            f"{hint} Columns found: {names}."
        )
    known = {c.name for c in COLUMNS[spec.kind]}
    extras = tuple(c for c in names if c not in known)
    return RawFile(spec=spec, table=table, rows=rows, export_names=export_names, extra_columns=extras, cells=cells,
                   short=(short, fields[short] if fields is not None else short))


def _title_bytes(data: bytes, header_row: int) -> int:
    """Where row ``header_row`` starts in ``data`` (0 for row 1): the title rows above it are skipped."""
    at = 0
    for _ in range(header_row - 1):
        cut = data.find(b"\n", at)
        if cut < 0:
            return len(data)
        at = cut + 1
    return at


HINT_ROWS = 20  # rows looked at for a header below a title


def _first_rows(spec: FileSpec, count: int) -> list[list[str]]:
    """The file's first ``count`` rows as stripped text cells (for hints; unreadable: none)."""
    try:
        if spec.path.suffix.lower() in EXCEL_SUFFIXES:
            frame = pd.read_excel(spec.path, sheet_name=spec.sheet, header=None, nrows=count, dtype=object,
                                  engine="openpyxl")
            return [[str(v).strip() for v in row if not pd.isna(v)] for row in frame.itertuples(index=False)]
        with open(spec.path, encoding=spec.encoding, errors="replace", newline="") as handle:
            lines = [line for _, line in zip(range(count), handle)]
        return [[c.strip() for c in row] for row in csv.reader(lines, delimiter=spec.delimiter)]
    except (OSError, ValueError, zipfile.BadZipFile, InvalidFileException, csv.Error):
        return []


def header_row_hint(spec: FileSpec, missing: list[str]) -> str:
    """When a row below the header row holds the missing columns' names (a title above the real
    header), the sentence naming the ``header_row`` to set; '' otherwise."""
    export = {canonical: name for name, canonical in spec.columns.items()}
    wanted = {export.get(c, c).strip().casefold() for c in missing}
    for number, cells in enumerate(_first_rows(spec, spec.header_row + HINT_ROWS), start=1):
        if number > spec.header_row and wanted <= {c.casefold() for c in cells}:
            return (f" Row {number} holds the column names (rows above it look like a title): set header_row: "
                    f"{number} for this file in client.yaml.")
    return ""


def delimiter_hint(header: list[str], delimiter: str) -> str:
    """When the header was read as one column that holds another common separator (';', tab, '|'),
    the sentence saying which delimiter to set; '' otherwise."""
    if len(header) != 1:
        return ""
    for sep, name in ((";", "';'"), ("\t", "a tab ('\\t')"), ("|", "'|'")):
        if sep != delimiter and sep in header[0]:
            return (f" The header was read as one column holding {name}: the file is probably separated by "
                    f"{name}, not {delimiter!r}; set delimiter: \"{sep}\" under formats (or under this file) in "
                    "client.yaml.").replace('"\t"', '"\\t"')
    return ""


# --- typing values ------------------------------------------------------------------

def _numpy(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _by_distinct(values: pa.ChunkedArray, convert) -> pd.Series:
    """``convert`` (a function of a pandas Series of distinct strings) applied once per distinct value
    and spread back to every row."""
    flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.dictionary_encode(flat)
    distinct = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    converted = convert(distinct)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return pd.Series(converted.to_numpy()[codes] if len(converted) else np.empty(0, dtype=converted.dtype))


def _money_pattern(spec: FileSpec) -> str:
    """Regex of a well-formed amount in the file's convention (sign, digit groups, decimals)."""
    d = re.escape(spec.decimal)
    digits = rf"(?:[0-9]+|[0-9]{{1,3}}(?:{re.escape(spec.thousands)}[0-9]{{3}})+)" if spec.thousands else r"[0-9]+"
    return rf"^[-+]?(?:{digits}(?:{d}[0-9]*)?|{d}[0-9]+)$"


def parse_money(text: pa.ChunkedArray, spec: FileSpec, cells: pd.Series | None = None) -> np.ndarray:
    """Amounts written with the file's decimal and thousands separators; '(12.50)' is -12.50.

    Text must follow the convention exactly (digit groups of three after a thousands separator,
    one decimal separator), so an amount written in the other convention is rejected (NaN) rather
    than misread. Numeric Excel cells (``cells``) are taken as they are. Non-finite values are NaN.
    """
    t = text
    for space in ("\u00a0", " "):  # inside a number: "1 234,50"
        if pc.any(pc.match_substring(t, space)).as_py():
            t = pc.replace_substring(t, space, "")
    negative = np.zeros(len(t), dtype=bool)
    if pc.any(pc.match_substring(t, "(")).as_py():
        negative = _numpy(pc.match_substring_regex(t, r"^\(.*\)$"))
        t = pc.replace_substring_regex(t, r"^\((.*)\)$", r"\1")
    ok = pc.match_substring_regex(t, _money_pattern(spec))
    plain = t
    if spec.thousands:
        plain = pc.replace_substring(plain, spec.thousands, "")
    if spec.decimal != ".":
        plain = pc.replace_substring(plain, spec.decimal, ".")
    parsed = _numpy(pc.cast(pc.if_else(ok, plain, "0"), pa.float64())).astype(float)
    parsed = np.where(_numpy(ok), parsed, np.nan)
    parsed = np.where(negative, -parsed, parsed)
    if cells is not None:
        numbers = cells.map(type).isin([int, float, np.float64, np.int64]).to_numpy()
        if numbers.any():
            parsed = np.where(numbers, pd.to_numeric(cells.where(numbers), errors="coerce").to_numpy(dtype=float),
                              parsed)
    return np.where(np.isfinite(parsed), parsed, np.nan)


def parse_dates(raw: pa.ChunkedArray, spec: FileSpec, cells: pd.Series | None = None) -> pd.Series:
    """Dates written in the file's format, parsed by pandas once per distinct value (Excel date
    cells, in ``cells``, are taken as they are)."""
    def convert(distinct: pd.Series) -> pd.Series:
        if spec.date_format == "auto":
            return pd.to_datetime(distinct, errors="coerce", format="mixed").dt.normalize()
        return pd.to_datetime(distinct, errors="coerce", format=spec.date_format).dt.normalize()

    out = _by_distinct(raw, convert).astype("datetime64[us]")
    if cells is not None:
        stamped = cells.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).to_numpy()
        if stamped.any():
            as_dates = pd.to_datetime(cells.where(stamped), errors="coerce").dt.normalize().astype("datetime64[us]")
            out = out.where(~stamped, as_dates)
        serial = excel_serials(cells)
        if serial.notna().any():
            out = out.where(serial.isna(), serial_dates(serial))
    return out


EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system (after its 1900 leap-year bug)
SERIAL_RANGE = (20_000, 80_000)           # serials of 1954-10-03 .. 2119-01-11: numbers this size in a date column


def excel_serials(cells: pd.Series) -> pd.Series:
    """The workbook's number cells within SERIAL_RANGE (a date column typed as numbers in Excel), NaN
    elsewhere."""
    numbers = cells.map(type).isin([int, float, np.float64, np.int64]).to_numpy()
    values = pd.to_numeric(cells.where(numbers), errors="coerce")
    return values.where((values >= SERIAL_RANGE[0]) & (values <= SERIAL_RANGE[1]))


def serial_dates(serials: pd.Series) -> pd.Series:
    """Excel serial day numbers as dates: 1899-12-30 + floor(n) days (45596 → 2024-10-31)."""
    days = np.floor(serials.to_numpy(dtype=float))
    return pd.Series(EXCEL_EPOCH + pd.to_timedelta(days, unit="D"), index=serials.index).astype("datetime64[us]")


def looks_like_serials(text: pa.ChunkedArray, mask: np.ndarray) -> bool:
    """Most of the unreadable dates of ``mask`` are whole numbers within SERIAL_RANGE (Excel day
    numbers exported as text)."""
    where = np.flatnonzero(mask)
    if not len(where):
        return False
    values = pd.to_numeric(pd.Series(pc.take(text, pa.array(where[:1000])).to_pylist()), errors="coerce")
    return bool(((values >= SERIAL_RANGE[0]) & (values <= SERIAL_RANGE[1])).mean() > 0.5)


def parse_bools(text: pa.ChunkedArray) -> pd.Series:
    """yes/no, true/false, 1/0, x/empty (case-insensitive) to booleans; anything else is NA."""
    def convert(distinct: pd.Series) -> pd.Series:
        lower = distinct.str.lower()
        out = pd.Series(pd.NA, index=distinct.index, dtype="boolean")
        out[lower.isin(TRUE_WORDS)] = True
        out[lower.isin(FALSE_WORDS)] = False
        return out

    return _by_distinct(text, convert).astype("boolean")


def _strings(values: pa.ChunkedArray, empty_to_na: bool) -> pd.Series:
    """Arrow text as a pandas string column; '' as missing when ``empty_to_na``."""
    series = values.to_pandas()
    if not len(series):
        series = pd.Series([], dtype="str")
    return series.where(series != "") if empty_to_na else series


def _problems(raw: RawFile, mask: np.ndarray, column: ColumnSpec, text: pa.ChunkedArray, problem: str
              ) -> list[pd.DataFrame]:
    """The problem rows of ``mask`` for one column (none when the mask is empty)."""
    if not mask.any():
        return []
    where = np.flatnonzero(mask)
    return [pd.DataFrame({"file": raw.label, "row": raw.file_rows(where),
                          "column": raw.export_names.get(column.name, column.name),
                          "value": pc.take(text, pa.array(where)).to_pylist(), "problem": problem})]


def type_column(raw: RawFile, column: ColumnSpec) -> tuple[object, list[pd.DataFrame]]:
    """One canonical column of ``raw`` typed by its kind, and its problems (in the order: empty
    required value, not a whole number, cannot be read)."""
    text = raw.text(column.name)
    cells = raw.cells.get(column.name)
    empty = _numpy(pc.equal(text, ""))
    found = _problems(raw, empty, column, text, f"required value is empty; expected {column.expected}") \
        if column.required else []
    if column.kind in ("id", "text"):
        value = pc.utf8_upper(text) if column.name == "currency" else text
        return _strings(value, not column.required), found
    if column.kind == "date":
        parsed = parse_dates(raw.raw(column.name), raw.spec, cells)
        missing = parsed.isna().to_numpy()
        hint = "a date" if raw.spec.date_format == "auto" else \
            f"a date in the format {raw.spec.date_format} (e.g. {pd.Timestamp('2026-10-31').strftime(raw.spec.date_format)})"
        if looks_like_serials(text, missing & ~empty):
            hint += ("; these look like Excel serial dates (day numbers such as 45596 = 2024-10-31): format the "
                     "column as dates in Excel before exporting, or give the .xlsx workbook itself")
    elif column.kind in ("money", "int"):
        numbers = parse_money(text, raw.spec, cells)
        missing = np.isnan(numbers)
        parsed = numbers
        hint = f"a number with '{raw.spec.decimal}' as decimal separator" + (
            f" and '{raw.spec.thousands}' for thousands" if raw.spec.thousands else "")
        if column.kind == "int":
            found += _problems(raw, ~missing & (numbers != np.floor(numbers)), column, text,
                               "expected a whole number of days")
    else:  # bool
        parsed = parse_bools(text)
        missing = parsed.isna().to_numpy()
        hint = "yes/no, true/false, 1/0, or x/empty"
    return parsed, found + _problems(raw, missing & ~empty, column, text, f"cannot be read; expected {hint}")


TYPE_THREADS = 2  # columns typed at once (Arrow's kernels release the GIL)


def type_columns(raw: RawFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every canonical column of ``raw``; return (typed frame, problems).

    Empty optional values become NA. An empty required value, or a non-empty
    value that does not parse, is a problem naming file, row, column and value.
    Columns are typed side by side; problems come in column order.
    """
    columns = [c for c in COLUMNS[raw.spec.kind] if c.name in raw.table.column_names]
    for c in columns:
        raw.text(c.name)  # strip once, before the threads share the cache
    with ThreadPoolExecutor(max_workers=TYPE_THREADS) as pool:
        results = list(pool.map(lambda c: type_column(raw, c), columns))
    typed: dict[str, object] = {c.name: value for c, (value, _) in zip(columns, results)}
    problems = [frame for _, found in results for frame in found]
    for extra in raw.extra_columns:
        typed[extra] = _strings(raw.raw(extra), False)
    frame = pd.DataFrame(typed, index=pd.RangeIndex(len(raw)))
    problems += short_row_problems(raw)
    found = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return frame, found


def short_row_problems(raw: RawFile) -> list[pd.DataFrame]:
    """A problem for each row with fewer fields than the header (e.g. a record split by a stray line
    break): named on the first column it lacks, instead of being read as empty values."""
    where, counts = raw.short
    if not len(where):
        return []
    width = raw.table.num_columns
    names = raw.table.column_names
    return [pd.DataFrame({
        "file": raw.label, "row": raw.file_rows(where),
        "column": [raw.export_names.get(names[c], names[c]) for c in counts],
        "value": "",
        "problem": [f"the row has {c} of the header's {width} fields (a line break inside a value, or a missing "
                    "delimiter?); fix the export" for c in counts]})]
