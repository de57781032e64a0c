"""Reading export files and turning their text into typed canonical columns.

A file is read as text (CSV) or as cell values (XLSX), never modified. Columns
are renamed through the client's mapping; each canonical column is then typed
by its kind (see :mod:`arassess.schemas`). A value that cannot be typed is a
*problem* (file, row, column, value, what was expected), collected, not raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.config import FileSpec
from arassess.errors import InputError
from arassess.quality import PROBLEM_COLUMNS
from arassess.schemas import COLUMNS, ColumnSpec, required_columns

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "ja", "j", "wahr", "oui", "si"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "", "nein", "falsch", "non"})
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
HEADER_ROWS = 1  # the header is row 1, so data row i (0-based) is row i + 2 in the file


@dataclass(frozen=True)
class RawFile:
    """A file as read: canonical-named columns (text or cell values), its spec,
    the export name of each canonical column, and the extra columns found."""

    spec: FileSpec
    frame: pd.DataFrame
    export_names: dict[str, str]
    extra_columns: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.spec.path.name

    def file_rows(self, index: pd.Index) -> np.ndarray:
        """Row numbers as the user sees them in the file."""
        return np.asarray(index, dtype=np.int64) + HEADER_ROWS + 1


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
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            frame = pd.read_excel(path, sheet_name=spec.sheet, dtype=object, engine="openpyxl")
        elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=spec.delimiter,
                                encoding=spec.encoding, skipinitialspace=False, skip_blank_lines=False)
        else:
            raise InputError(f"{path}: unsupported file type '{path.suffix}'; use .csv or .xlsx.")
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not encoded as {spec.encoding} ({exc.reason}); "
                         f"set 'encoding' for this file in client.yaml (e.g. cp1252).") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"The {spec.kind} file {path} is empty (no header row, no data); "
                         "expected a header row and data rows.") from None
    except (pd.errors.ParserError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{path} could not be read as a {spec.kind} table: {exc}".rstrip(".") + ".") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) and len(frame.columns):
        filled = frame.astype("string").fillna("")
        blank = np.logical_and.reduce([filled[c].str.strip().eq("").to_numpy(dtype=bool) for c in filled.columns])
        frame = frame[~blank]  # index kept: row numbers still match the file
    if frame.empty and not allow_no_rows:
        raise InputError(f"The {spec.kind} file {path} has a header but no data rows.")

    rename = {export: canonical for export, canonical in spec.columns.items() if export in frame.columns}
    mapped_missing = sorted(export for export in spec.columns if export not in frame.columns)
    frame = frame.rename(columns=rename)
    export_names = {canonical: export for export, canonical in rename.items()}
    export_names.update({c: c for c in frame.columns if c not in export_names})
    dupes = frame.columns[frame.columns.duplicated()].tolist()
    if dupes:
        raise InputError(f"{path}: more than one column maps to {sorted(set(dupes))}; fix the mapping in client.yaml.")

    missing = [c for c in required_columns(spec.kind) if c not in frame.columns]
    if missing:
        hint = f" The mapping names columns not in the file: {mapped_missing}." if mapped_missing else ""
        raise InputError(
            f"{path} is missing required column(s) {missing} for the {spec.kind} file. "
            f"Name them so in the file or map the export's names under 'columns.{spec.kind}' in client.yaml."
            f"{hint} Columns found: {list(frame.columns)}."
        )
    known = {c.name for c in COLUMNS[spec.kind]}
    extras = tuple(c for c in frame.columns if c not in known)
    return RawFile(spec=spec, frame=frame, export_names=export_names, extra_columns=extras)


# --- typing values ------------------------------------------------------------------

def _text(values: pd.Series) -> pd.Series:
    """Cell values as stripped strings; whole-number floats from Excel lose their '.0',
    Excel date cells at midnight read as YYYY-MM-DD."""
    if values.dtype == object:
        is_date = values.map(lambda v: hasattr(v, "year") and hasattr(v, "hour") and not v.hour and not v.minute)
        if is_date.any():
            values = values.where(~is_date, pd.to_datetime(values.where(is_date), errors="coerce").dt.strftime("%Y-%m-%d"))
        numeric = pd.to_numeric(values, errors="coerce")
        whole = numeric.notna() & (numeric == np.floor(numeric)) & values.map(type).isin([float, np.float64])
        if whole.any():
            values = values.where(~whole, numeric[whole].astype(np.int64).astype(str))
    out = values.astype("string").fillna("").str.strip()
    return out.astype(str)


def _money_pattern(spec: FileSpec) -> str:
    """Regex of a well-formed amount in the file's convention (sign, digit groups, decimals)."""
    d = re.escape(spec.decimal)
    digits = rf"(?:\d+|\d{{1,3}}(?:{re.escape(spec.thousands)}\d{{3}})+)" if spec.thousands else r"\d+"
    return rf"^[-+]?(?:{digits}(?:{d}\d*)?|{d}\d+)$"


def parse_money(values: pd.Series, spec: FileSpec) -> pd.Series:
    """Amounts written with the file's decimal and thousands separators; '(12.50)' is -12.50.

    Text must follow the convention exactly (digit groups of three after a
    thousands separator, one decimal separator), so an amount written in the
    other convention is rejected rather than misread. Numeric Excel cells are
    taken as they are. Non-finite values are rejected.
    """
    cell_numbers = values.map(type).isin([int, float]) if values.dtype == object else pd.Series(False, index=values.index)
    text = _text(values).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    negative = text.str.match(r"^\(.*\)$")
    text = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    well_formed = text.str.match(_money_pattern(spec))
    plain = text
    if spec.thousands:
        plain = plain.str.replace(spec.thousands, "", regex=False)
    if spec.decimal != ".":
        plain = plain.str.replace(spec.decimal, ".", regex=False)
    parsed = pd.to_numeric(plain.where(well_formed), errors="coerce").astype(float)
    parsed = parsed.where(~negative, -parsed)
    if cell_numbers.any():
        parsed = parsed.where(~cell_numbers, pd.to_numeric(values.where(cell_numbers), errors="coerce").astype(float))
    return parsed.where(np.isfinite(parsed))


def parse_dates(values: pd.Series, spec: FileSpec) -> pd.Series:
    """Dates written in the file's format (Excel date cells are taken as they are)."""
    if spec.date_format == "auto":
        return pd.to_datetime(values, errors="coerce", format="mixed").dt.normalize()
    return pd.to_datetime(values, errors="coerce", format=spec.date_format).dt.normalize()


def parse_bools(values: pd.Series) -> pd.Series:
    """yes/no, true/false, 1/0, x/empty (case-insensitive) to booleans; anything else is NA."""
    text = _text(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(TRUE_WORDS)] = True
    out[text.isin(FALSE_WORDS)] = False
    return out


def text_columns(raw: RawFile, columns: list[str]) -> pd.DataFrame:
    """The values of ``columns`` as written in the file (for showing in problems)."""
    return pd.DataFrame({c: _text(raw.frame[c]) for c in columns if c in raw.frame.columns}, index=raw.frame.index)


def type_columns(raw: RawFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type every canonical column of ``raw``; return (typed frame, problems).

    Empty optional values become NA. An empty required value, or a non-empty
    value that does not parse, is a problem naming file, row, column and value.
    """
    frame = raw.frame
    typed = pd.DataFrame(index=frame.index)
    problems: list[pd.DataFrame] = []

    def flag(mask: pd.Series, column: ColumnSpec, text: pd.Series, problem: str) -> None:
        if mask.any():
            problems.append(pd.DataFrame({
                "file": raw.label,
                "row": raw.file_rows(frame.index[mask]),
                "column": raw.export_names.get(column.name, column.name),
                "value": text[mask].to_numpy(),
                "problem": problem,
            }))

    for column in COLUMNS[raw.spec.kind]:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        text = _text(values)
        empty = text.eq("")
        if column.required:
            flag(empty, column, text, f"required value is empty; expected {column.expected}")
        if column.kind in ("id", "text"):
            value = text.str.upper() if column.name == "currency" else text
            typed[column.name] = value if column.required else value.where(~empty, None)
            continue
        if column.kind == "date":
            parsed = parse_dates(values, raw.spec)
            hint = "a date" if raw.spec.date_format == "auto" else \
                f"a date in the format {raw.spec.date_format} (e.g. {pd.Timestamp('2026-10-31').strftime(raw.spec.date_format)})"
        elif column.kind in ("money", "int"):
            parsed = parse_money(values, raw.spec)
            hint = f"a number with '{raw.spec.decimal}' as decimal separator" + (
                f" and '{raw.spec.thousands}' for thousands" if raw.spec.thousands else "")
            if column.kind == "int":
                flag(parsed.notna() & (parsed != np.floor(parsed)), column, text, "expected a whole number of days")
        else:  # bool
            parsed = parse_bools(values)
            hint = "yes/no, true/false, 1/0, or x/empty"
        flag(parsed.isna() & ~empty, column, text, f"cannot be read; expected {hint}")
        typed[column.name] = parsed
    for extra in raw.extra_columns:
        typed[extra] = frame[extra]
    found = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return typed, found
