"""The project's exceptions: one family, every class here.

Every error arassess raises on purpose is an :class:`ArassessError`; its message is written for a
finance user and names the file, the row(s) as the user sees them in the file, the column, the
bad value and what was expected. The command line and the dashboards catch this family only, so
anything else is a bug and keeps its traceback.

- :class:`ConfigError`: client.yaml, goals.yaml, a scenario or the action catalog is invalid;
- :class:`InputError`: a data file cannot be used (:class:`RejectionLimitError`: too many rows rejected);
- :class:`ArgumentError`: a function was given a value it cannot use (also a ``ValueError``;
  :class:`MonthError` for a month to review);
- :class:`OverwriteError`: an output exists; nothing is ever written over an earlier one (also a
  ``FileExistsError``; :class:`ScenarioExistsError` for a saved scenario);
- :class:`OutputError`: an output cannot be written where asked (a file in the way, no
  permission, a read-only file system); :func:`writing` turns the OSError into it;
- :class:`StoreError`: the KPI history store cannot be used;
- :class:`NotebookError`: a notebook cell failed (which cell, which error, where the notebook is);
- :class:`ReportError`: the report could not be produced (e.g. no PDF engine).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping


class ArassessError(Exception):
    """Base class of every error arassess raises on purpose."""


class ConfigError(ArassessError):
    """A client folder or its client.yaml is missing, unreadable or invalid."""


def check_keys(raw: Mapping[Any, Any], valid: Iterable[str], source: object, where: str = "") -> None:
    """ConfigError "<source>: unknown key(s) [...] at '<where>' (or the top level); valid keys are
    [...]." when ``raw`` has a key outside ``valid``: one wording for every YAML file read."""
    valid = list(valid)
    unknown = sorted(str(k) for k in raw if k not in valid)
    if unknown:
        place = f"'{where}'" if where else "the top level"
        raise ConfigError(f"{source}: unknown key(s) {unknown} at {place}; valid keys are {valid}.")


class InputError(ArassessError):
    """A data file cannot be used at all (missing, empty, required column absent,
    mixed currencies without rates)."""


class RejectionLimitError(InputError):
    """More rows were rejected than the configured share allows.

    ``report`` holds the full data-quality report (an :class:`arassess.ledger.quality.QualityReport`)
    so the caller can still show or export every rejected row with its reason.
    """

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report


class ArgumentError(ArassessError, ValueError):
    """A function of the library was given a value it cannot use; the message names the value and
    what is valid. A ``ValueError`` too, as Python code expects of a bad argument."""


class MonthError(ArgumentError):
    """A month that cannot be reviewed: badly written, or outside what the client's data covers."""


class OverwriteError(ArassessError, FileExistsError):
    """An output already exists: arassess never writes over an earlier run, report, worklist,
    letter or export. A ``FileExistsError`` too."""


class ScenarioExistsError(OverwriteError):
    """A scenario of that name exists; saving would overwrite it."""


class OutputError(ArassessError):
    """An output cannot be written where it was asked for; the message names the path, the reason
    and what to do."""


@contextmanager
def writing(path: str | Path, what: str) -> Iterator[None]:
    """Run the block that writes ``what`` at ``path``; an OSError in it (not a folder, no
    permission, read-only, no space) becomes an OutputError naming both. The project's own errors
    (e.g. OverwriteError, also an OSError) pass through."""
    try:
        yield
    except ArassessError:
        raise
    except OSError as exc:
        raise OutputError(f"Cannot write {what} at {path}: {exc.strerror or exc}. "
                          "Choose a folder you can write to.") from None


class StoreError(ArassessError):
    """The history store cannot be used: locked too long, not a store, too new, bad snapshot."""


class NotebookError(ArassessError):
    """A notebook cell failed; the executed notebook, with the error, is kept in the run folder.

    ``notebook``: that executed notebook; ``cell_index``: the failing cell (0-based, as Papermill
    counts); ``ename`` / ``evalue``: the error's class name and message inside the kernel.
    """

    def __init__(self, message: str, notebook: Path, cell_index: int | None = None, ename: str = "",
                 evalue: str = "") -> None:
        super().__init__(message)
        self.notebook = notebook
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue


class ReportError(ArassessError):
    """The report could not be produced (e.g. no PDF engine); the message says what to do."""
