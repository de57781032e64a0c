"""The strategies compared, in words: written once, one row per strategy and one column per place
the words appear, so the notebook, the dashboard, the client report and the landing page say the
same thing (and a change here reaches all of them).

Forms (``{day}`` is the hand-off age in days past due; a part in ``[brackets]`` is said only when
that age is known, e.g. on the landing page of an old run that did not record it):

- ``short``: the consultant's tables, charts and break-even sentences ("agency");
- ``heading``: a column or chart heading for the consultant ("agency (D = 90)");
- ``recommendation``: the answer as a sentence's subject ("Place overdue claims with an agency at
  90 days past due");
- ``card``: a headline card (dashboard, report summary, landing page) — a few words;
- ``column``: the client report's column heading ("Agency from 90 days");
- ``alternative``: the runner-up inside a sentence ("… more than placing every claim at 90 days").

Only the standard library: the landing page imports it in the server process.
"""

from __future__ import annotations

import re

from arassess.errors import ArgumentError

STRATEGY_WORDS: dict[str, dict[str, str]] = {
    "in_house": {
        "short": "in-house",
        "heading": "in-house",
        "recommendation": "Keep collections in-house",
        "card": "Keep collections in-house",
        "column": "All in-house",
        "alternative": "keeping everything in-house",
    },
    "agency": {
        "short": "agency",
        "heading": "agency[ (D = {day})]",
        "recommendation": "Place overdue claims with an agency[ at {day} days past due]",
        "card": "Agency[ from {day} days]",
        "column": "Agency[ from {day} days]",
        "alternative": "placing every claim[ at {day} days]",
    },
    "hybrid": {
        "short": "hybrid",
        "heading": "hybrid[ (D = {day})]",
        "recommendation": "Work claims in-house, then hand off to an agency[ at {day} days past due]",
        "card": "In-house, then agency[ at {day} days]",
        "column": "In-house, agency[ from {day} days]",
        "alternative": "handing off[ at {day} days]",
    },
}
FORMS = ("short", "heading", "recommendation", "card", "column", "alternative")
_OPTIONAL = re.compile(r"\[([^\]]*)\]")


def strategy_words(strategy: str, form: str, day: float | None = None) -> str:
    """``strategy`` ("in_house", "agency", "hybrid") in ``form`` (see the module), its hand-off age
    ``day`` written as a plain number (90, 37.5); the bracketed part is dropped when ``day`` is None."""
    if strategy not in STRATEGY_WORDS:
        raise ArgumentError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGY_WORDS)}")
    if form not in FORMS:
        raise ArgumentError(f"unknown form {form!r}; valid: {', '.join(FORMS)}")
    text = STRATEGY_WORDS[strategy][form]
    if day is None:
        return _OPTIONAL.sub("", text)
    return _OPTIONAL.sub(lambda m: m.group(1), text).format(day=f"{day:g}")


__all__ = ["FORMS", "STRATEGY_WORDS", "strategy_words"]
