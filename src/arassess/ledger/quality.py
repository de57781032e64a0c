"""Data-quality report: control totals, rejected rows with their reasons, notes.

Control totals reconcile every load: for each file, rows read = rows accepted +
rows rejected, and amount read = amount accepted + amount rejected (amounts as
written in the file, before currency conversion). A row whose amount cannot be read
has no amount in these sums: it is counted in ``amounts_unreadable`` and listed among
the problems, and the totals then say "amount unknown" rather than "balanced".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from arassess.errors import OverwriteError, writing

PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem"]
TOTAL_COLUMNS = ["file", "rows_read", "rows_accepted", "rows_rejected",
                 "amount_read", "amount_accepted", "amount_rejected", "amounts_unreadable"]


@dataclass(frozen=True)
class FileTotals:
    """Control totals of one file."""

    file: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    amount_read: float
    amount_accepted: float
    amount_rejected: float
    amounts_unreadable: int = 0  # rows whose amount could not be read: not in the amount sums

    @property
    def balanced(self) -> bool:
        """Rows and amounts read equal accepted + rejected, and every row's amount was read."""
        return (self.rows_read == self.rows_accepted + self.rows_rejected
                and self.amounts_unreadable == 0
                and abs(self.amount_read - self.amount_accepted - self.amount_rejected)
                <= 1e-6 * max(1.0, abs(self.amount_read)))

    @property
    def balance_text(self) -> str:
        """'yes', 'NO', or 'amount unknown: 3 rows unreadable' — what the totals can say."""
        if self.amounts_unreadable:
            rows = "row" if self.amounts_unreadable == 1 else "rows"
            return f"amount unknown: {self.amounts_unreadable:,} {rows} unreadable"
        return "yes" if self.balanced else "NO"

    @property
    def rejected_share(self) -> float:
        """Rejected rows / rows read (0 for an empty file)."""
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class QualityReport:
    """Everything a load found: totals per file, every problem, notes.

    ``problems`` has one line per (row, problem): file, row (as numbered in the
    file: the header is row 1), column (as named in the file), value, problem.
    """

    totals: tuple[FileTotals, ...]
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    notes: tuple[str, ...] = ()
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per file: the rejected rows as read (every column), with their row number and problems."""

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return all(t.rows_rejected == 0 for t in self.totals)

    def totals_frame(self) -> pd.DataFrame:
        """Control totals as a table, one line per file."""
        return pd.DataFrame([t.__dict__ for t in self.totals], columns=TOTAL_COLUMNS)

    def export(self, path: str | Path) -> Path:
        """Write the problems table to CSV (never over an existing file) and return its path."""
        target = Path(path)
        if target.exists():
            raise OverwriteError(f"{target} already exists; choose another name or remove it first.")
        with writing(target, "the problems"):
            self.problems.to_csv(target, index=False)
        return target

    def export_rejected(self, folder: str | Path) -> list[Path]:
        """Write each file's rejected rows (as read, plus row and problems) to
        ``folder/<file>.rejected.csv``; refuses to overwrite. Returns the paths written."""
        target = Path(folder)
        paths = [target / f"{Path(name).stem}.rejected.csv" for name in self.rejected]
        taken = [p for p in paths if p.exists()]
        if taken:
            raise OverwriteError(f"{', '.join(map(str, taken))} already exist(s); choose another folder.")
        with writing(target, "the rejected rows"):
            target.mkdir(parents=True, exist_ok=True)
            for path, frame in zip(paths, self.rejected.values()):
                frame.to_csv(path, index=False)
        return paths


def summarize_problems(problems: pd.DataFrame, limit: int = 20) -> str:
    """A readable, bounded listing of problems: one line each, most frequent kinds first."""
    if problems.empty:
        return "no problems"
    lines = [
        f"  {r.file} row {r.row}, column '{r.column}': {r.problem} (value: {r.value!r})"
        for r in problems.head(limit).itertuples()
    ]
    more = len(problems) - limit
    if more > 0:
        kinds = problems["problem"].value_counts().head(5)
        lines.append(f"  ... and {more} more; most frequent: "
                     + "; ".join(f"{k} ({v})" for k, v in kinds.items()))
    return "\n".join(lines)
