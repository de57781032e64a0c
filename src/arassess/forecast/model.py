"""Expected receipts from the open invoices, week by week, with the forecast's own track record.

At a date ``T`` each open invoice (amount > 0) brings its open amount in the week its payment
falls, with the probabilities of :mod:`arassess.forecast.timing` (its customer's timing as known at
``T``, conditioned on its age): the forecast for week ``k`` (days ``T + 7(k − 1) + 1 … T + 7k``) is
``Σ_i open_i · P_i(paid in week k | open at T)``; what an invoice is never expected to pay (written
off, or paid later than the timing table reaches) is in no week.

Two naive forecasts it must beat, both from what is known at ``T``:

- **due date**: every open invoice paid on its due date, those already overdue in week 1;
- **last 13 weeks repeated**: the open book 13 weeks ago was collected week by week in a certain
  pattern (receipts in week k as a share of that book); today's open book is collected in the
  same pattern.

**Backtest, point in time.** At each of the last ``BACKTEST_MONTHS`` month-ends whose following
13 weeks have passed by ``T``, the three forecasts are made from what was known then (nothing after
that month-end: payments, write-offs and invoices later are unknown) and compared with what those
invoices actually paid. Accuracy is WAPE = Σ |actual − forecast| / Σ actual over weeks 1–4 and
weeks 5–13 of every backtest date. The forecast is used for a horizon only where its WAPE beats
both baselines there; otherwise the better baseline is shown, and said so. The 80% band around
what is shown is the 10th–90th percentile of ``actual / forecast`` of that method in the backtest
(per horizon); its coverage is measured leaving each backtest date out of its own band.

The target is the cash from the invoices open at ``T``. Invoices issued later (new sales) are added
only when asked (``forecast.include_new_sales``, :mod:`arassess.forecast.newsales`), with their own
backtest and band, and shown apart ("of which new sales"); they are added only when that backtest
could run. An open-items export has no payment history: only the due-date forecast, labelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from arassess.display.format import money_text
from arassess.forecast import newsales
from arassess.forecast.timing import D_MAX, timing_at
from arassess.ledger.balances import MONEY_EPSILON, cash_events, day_number, timeline_of
from arassess.ledger.model import Ledger

WEEKS = 13
MONTHS = 6
BACKTEST_MONTHS = 12
MIN_BACKTEST = 3          # backtest dates needed to test the forecast at all
MIN_HISTORY_DAYS = 182    # a backtest date needs this much ledger history before it
BAND = (0.10, 0.90)       # the band's percentiles of actual / forecast
HORIZONS = {"weeks 1–4": range(1, 5), "weeks 5–13": range(5, WEEKS + 1)}
METHODS = ("model", "due date", "last 13 weeks")
METHOD_LABELS = {"model": "the forecast (customer payment timing)", "due date": "due dates",
                 "last 13 weeks": "the last 13 weeks repeated"}


def date_of(day: int) -> pd.Timestamp:
    """The date of an integer day since the epoch."""
    return pd.Timestamp(int(day), unit="D")


@dataclass(frozen=True)
class Book:
    """The open invoices at a day: rows, open amounts, customer codes and ages (days past due)."""
    rows: np.ndarray
    open: np.ndarray
    customer: np.ndarray
    age: np.ndarray

    @property
    def total(self) -> float:
        return float(self.open.sum())


def open_book(ledger: Ledger, day: int) -> Book:
    """The invoices (amount > 0) issued by ``day`` with an open balance at the end of ``day``."""
    tl = timeline_of(ledger)
    known = tl.ev_day <= day
    balance = np.bincount(tl.ev_inv[known], weights=tl.ev_delta[known], minlength=len(tl.amount))
    rows = np.flatnonzero((balance > MONEY_EPSILON) & (tl.amount > 0) & (tl.inv_day <= day))
    return Book(rows, balance[rows], tl.customer[rows], day - tl.due_day[rows])


def received(events: tuple[np.ndarray, np.ndarray, np.ndarray], book: Book, day: int,
             weeks: int = WEEKS) -> np.ndarray:
    """Cash received from the invoices of ``book`` in each of the ``weeks`` weeks after ``day``."""
    inv, when, cash = events
    mine = np.zeros(int(max(inv.max(initial=0), book.rows.max(initial=0))) + 1, dtype=bool)
    mine[book.rows] = True
    sel = mine[inv] & (when > day) & (when <= day + 7 * weeks)
    week = (when[sel] - day - 1) // 7
    return np.bincount(week, weights=cash[sel], minlength=weeks)[:weeks]


def week_ends(weeks: int = WEEKS) -> np.ndarray:
    """The end of each week in days after the forecast's date: 7, 14, …"""
    return 7 * np.arange(1, weeks + 1)


def model_days(ledger: Ledger, book: Book, day: int, ends: np.ndarray) -> np.ndarray:
    """Expected receipts of ``book`` between consecutive offsets ``ends`` (days after ``day``, the
    first window starting at 0): Σ open · P(paid in the window | open at ``day``)."""
    if not len(book.rows):
        return np.zeros(len(ends))
    customers, rows = np.unique(book.customer, return_inverse=True)
    timing = timing_at(ledger, day, customers)
    starts = np.concatenate([[0], ends[:-1]])
    return np.array([float(book.open @ timing.window(rows, book.age, int(a), int(b)))
                     for a, b in zip(starts, ends)])


def model_weeks(ledger: Ledger, book: Book, day: int, weeks: int = WEEKS) -> np.ndarray:
    """Expected receipts of ``book`` per week after ``day`` (module docstring)."""
    return model_days(ledger, book, day, week_ends(weeks))


def _due_dated(ledger: Ledger, book: Book, day: int) -> tuple[np.ndarray, np.ndarray]:
    """(days from ``day`` to each open invoice's due date, at least 1; whether it is expected at
    all): an invoice more than D_MAX days past due is not (never paid, as in the timing table)."""
    due = timeline_of(ledger).due_day[book.rows]
    return np.maximum(due - day, 1), day - due <= D_MAX


def due_date_days(ledger: Ledger, book: Book, day: int, ends: np.ndarray) -> np.ndarray:
    """Every open invoice paid on its due date, already overdue ones in the first window; one more
    than a year (D_MAX days) past due is not expected. Windows as in :func:`model_days`."""
    ahead, expected = _due_dated(ledger, book, day)
    slot = np.searchsorted(ends, ahead, side="left")
    sel = (slot < len(ends)) & expected
    return np.bincount(slot[sel], weights=book.open[sel], minlength=len(ends))[:len(ends)]


def due_date_weeks(ledger: Ledger, book: Book, day: int, weeks: int = WEEKS) -> np.ndarray:
    """:func:`due_date_days` per week."""
    return due_date_days(ledger, book, day, week_ends(weeks))


def pattern_weeks(ledger: Ledger, events: tuple[np.ndarray, np.ndarray, np.ndarray], book: Book, day: int,
                  weeks: int = WEEKS) -> np.ndarray:
    """Today's open book collected in the pattern of the book 13 weeks ago (known by ``day``)."""
    then = day - 7 * weeks
    old = open_book(ledger, then)
    if old.total <= 0:
        return np.zeros(weeks)
    return received(events, old, then, weeks) / old.total * book.total


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Σ|actual − forecast| / Σ actual (NaN when nothing was received)."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(np.asarray(actual) - np.asarray(forecast))) / total) if total > 0 else float("nan")


def backtest_days(ledger: Ledger, day: int, months: int = BACKTEST_MONTHS) -> list[int]:
    """The month-ends (day numbers) whose next 13 weeks ended by ``day``, the latest ``months``,
    each with at least MIN_HISTORY_DAYS of ledger before it."""
    tl = timeline_of(ledger)
    if not len(tl.inv_day):
        return []
    first = int(tl.inv_day.min())
    last_start = date_of(day - 7 * WEEKS)
    ends = pd.date_range(end=last_start, periods=months, freq="ME")
    return [d for d in (day_number(e) for e in ends) if d - first >= MIN_HISTORY_DAYS]


def backtest(ledger: Ledger, day: int, months: int = BACKTEST_MONTHS) -> pd.DataFrame:
    """One row per (backtest date, week): actual receipts of the invoices open then, and the three
    forecasts made from what was known at that date."""
    events = cash_events(ledger)
    frames = []
    for d in backtest_days(ledger, day, months):
        book = open_book(ledger, d)
        frames.append(pd.DataFrame({
            "date": date_of(d), "week": np.arange(1, WEEKS + 1),
            "actual": received(events, book, d),
            "model": model_weeks(ledger, book, d),
            "due date": due_date_weeks(ledger, book, d),
            "last 13 weeks": pattern_weeks(ledger, events, book, d),
        }))
    columns = ["date", "week", "actual", *METHODS]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def accuracy(tests: pd.DataFrame, methods: tuple[str, ...] = METHODS) -> pd.DataFrame:
    """WAPE of each method per horizon (rows: horizons; columns: methods)."""
    rows = {}
    for name, weeks in HORIZONS.items():
        part = tests[tests["week"].isin(list(weeks))]
        rows[name] = {m: wape(part["actual"].to_numpy(), part[m].to_numpy()) for m in methods}
    return pd.DataFrame.from_dict(rows, orient="index")


def chosen(table: pd.DataFrame) -> dict[str, str]:
    """Per horizon the method shown: the model where it beats both baselines, else the better baseline."""
    out = {}
    for horizon, row in table.iterrows():
        baselines = row[["due date", "last 13 weeks"]].astype(float)
        best = str(baselines.idxmin()) if baselines.notna().any() else "due date"
        out[str(horizon)] = "model" if row["model"] < baselines.min() else best
    return out


def _ratios(tests: pd.DataFrame, method: str, weeks: range) -> pd.DataFrame:
    part = tests[tests["week"].isin(list(weeks)) & (tests[method] > 0)]
    return pd.DataFrame({"date": part["date"], "ratio": part["actual"] / part[method]})


def band(tests: pd.DataFrame, method: str, weeks: range) -> tuple[float, float]:
    """The 10th and 90th percentile of actual / forecast of ``method`` over the horizon."""
    r = _ratios(tests, method, weeks)["ratio"]
    return (float(r.quantile(BAND[0])), float(r.quantile(BAND[1]))) if len(r) else (float("nan"), float("nan"))


def horizon_band(tests: pd.DataFrame, method: str, weeks: range) -> tuple[float, float]:
    """The 10th and 90th percentile over the backtest dates of Σ actual / Σ forecast in the horizon
    (one ratio per date: steadier than per week where weekly forecasts are near zero)."""
    part = tests[tests["week"].isin(list(weeks))].groupby("date")[["actual", method]].sum()
    r = (part["actual"] / part[method])[part[method] > 0]
    return (float(r.quantile(BAND[0])), float(r.quantile(BAND[1]))) if len(r) else (float("nan"), float("nan"))


def coverage(tests: pd.DataFrame, used: dict[str, str]) -> float:
    """Share of backtest weeks whose actual fell inside the band of the method shown, each date's
    band made from the other dates only (leave one date out)."""
    inside, total = 0, 0
    for horizon, weeks in HORIZONS.items():
        method = used[horizon]
        part = tests[tests["week"].isin(list(weeks))]
        for date, rows in part.groupby("date"):
            lo, hi = band(tests[tests["date"] != date], method, weeks)
            if lo != lo:
                continue
            f, a = rows[method].to_numpy(), rows["actual"].to_numpy()
            inside += int(np.sum((a >= lo * f - 0.5) & (a <= hi * f + 0.5)))
            total += len(rows)
    return inside / total if total else float("nan")


@dataclass(frozen=True)
class CashForecast:
    """The forecast at ``as_of`` with its track record (module docstring)."""

    as_of: pd.Timestamp
    currency: str
    available: bool                 # a forecast from payment history (False: due dates only)
    reason: str                     # why the shown numbers are what they are, in words
    weeks: pd.DataFrame             # week, start, end, expected, low, high, method, model, due date, last 13 weeks
    months: pd.DataFrame            # month, expected, method
    open_total: float
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)       # backtest rows
    accuracy: pd.DataFrame = field(default_factory=pd.DataFrame)    # WAPE per horizon × method
    used: dict[str, str] = field(default_factory=dict)              # horizon → method shown
    coverage: float = float("nan")
    new_sales: dict[str, Any] = field(default_factory=dict)         # newsales.summary ({} when not asked)

    def summary(self) -> dict[str, Any]:
        """The forecast for summary.json and ``arassess forecast --format json``."""
        def num(v: Any) -> float | None:
            return None if v is None or v != v else round(float(v), 2)

        return {
            "as_of": f"{self.as_of:%Y-%m-%d}", "currency": self.currency, "available": self.available,
            "reason": self.reason, "open_total": num(self.open_total),
            "weeks": [{"week": int(r.week), "start": f"{r.start:%Y-%m-%d}", "end": f"{r.end:%Y-%m-%d}",
                       "expected": num(r.expected), "low": num(r.low), "high": num(r.high), "method": r.method}
                      for r in self.weeks.itertuples()],
            "months": [{"month": r.month, "expected": num(r.expected), "method": r.method}
                       for r in self.months.itertuples()],
            "backtest": {"dates": int(self.tests["date"].nunique()) if len(self.tests) else 0,
                         "wape": {h: {m: num(v) for m, v in row.items()} for h, row in self.accuracy.iterrows()},
                         "used": self.used, "band_coverage": num(self.coverage)},
            "new_sales": self.new_sales,
        }


def _month_ends(day: int, months: int = MONTHS) -> np.ndarray:
    ends = pd.date_range(start=date_of(day) + pd.Timedelta(days=1), periods=months, freq="ME")
    return np.array([day_number(e) - day for e in ends])


def _month_names(day: int, months: int = MONTHS) -> list[str]:
    return [f"{e:%b %Y}" for e in pd.date_range(start=date_of(day) + pd.Timedelta(days=1), periods=months, freq="ME")]


def new_sales_part(ledger: Ledger, day: int, events: tuple[np.ndarray, np.ndarray, np.ndarray],
                   dates: list[pd.Timestamp], currency: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The receipts from invoices not yet issued (:mod:`arassess.forecast.newsales`): per week its
    expected, low and high, and its summary; tested at the backtest ``dates``. Nothing is added
    (zeros, ``included`` False with the reason) when fewer than MIN_BACKTEST dates saw such cash."""
    ends = week_ends()
    actual, predicted, tested = [], [], []
    for date in dates:
        d = day_number(date)
        got = newsales.received_new(ledger, events, d, WEEKS)
        if got.sum() > 0:
            actual.append(got)
            predicted.append(newsales.new_sales_days(ledger, d, ends))
            tested.append(date)
    tests = newsales.tests_frame(tested, actual, predicted)
    rate = newsales.run_rate(ledger, day)
    weeks = newsales.new_sales_days(ledger, day, ends)
    acc = accuracy(tests, ("new sales",))["new sales"].to_dict()
    bands = {h: horizon_band(tests, "new sales", w) for h, w in HORIZONS.items()}
    zero = np.zeros(WEEKS)
    if len(tested) < MIN_BACKTEST or rate.per_day <= 0:
        why = ("no invoice was issued in the last 13 weeks" if rate.per_day <= 0 else
               f"only {len(tested)} past month-end(s) can test it (needs {MIN_BACKTEST})")
        return zero, zero, zero, newsales.summary(rate, zero, acc, bands, False,
                                                  f"Receipts from invoices not yet issued are not added: {why}.")
    low = np.concatenate([weeks[w.start - 1:w.stop - 1] * bands[h][0] for h, w in HORIZONS.items()])
    high = np.concatenate([weeks[w.start - 1:w.stop - 1] * bands[h][1] for h, w in HORIZONS.items()])
    scores = "; ".join(f"{h} WAPE {v:.0%}" for h, v in acc.items())
    reason = (f"Receipts from invoices not yet issued are added: the last 13 weeks' sales "
              f"({money_text(rate.per_day * 7, currency)} per week, terms about {rate.median_terms:.0f} days) repeated "
              f"and paid with the customers' timing; tested at {len(tested)} past month-ends ({scores}).")
    return weeks, low, high, newsales.summary(rate, weeks, acc, bands, True, reason)


def forecast(ledger: Ledger, as_of: pd.Timestamp | str, currency: str = "",
             months: int = BACKTEST_MONTHS, include_new_sales: bool = False) -> CashForecast:
    """The 13-week (and 6-month) receipts forecast at ``as_of``, tested on the last ``months``
    month-ends (module docstring); ``include_new_sales`` adds the receipts from invoices not yet
    issued (:func:`new_sales_part`)."""
    day = day_number(as_of)
    book = open_book(ledger, day)
    starts = [date_of(day + 7 * k + 1) for k in range(WEEKS)]
    frame = pd.DataFrame({"week": np.arange(1, WEEKS + 1), "start": starts,
                          "end": [s + pd.Timedelta(days=6) for s in starts], "new sales": 0.0})

    due = due_date_weeks(ledger, book, day)
    ends = _month_ends(day)

    def due_dates_only(shown: pd.DataFrame, reason: str, tests: pd.DataFrame, why_no_new: str) -> CashForecast:
        """The due-date view, said so (no tested forecast to show)."""
        month_frame = pd.DataFrame({"month": _month_names(day), "expected": due_date_days(ledger, book, day, ends),
                                    "method": "due date"})
        new = ({"included": False, "reason": f"Receipts from invoices not yet issued are not added: {why_no_new}."}
               if include_new_sales else {})
        return CashForecast(pd.Timestamp(as_of), currency, False, reason,
                            shown.assign(expected=due, low=np.nan, high=np.nan, method="due date"), month_frame,
                            book.total, tests, new_sales=new)

    if ledger.shape == "open_items":
        return due_dates_only(frame.assign(model=np.nan, **{"due date": due, "last 13 weeks": np.nan}),
                              "An open-items export has no payment history: the receipts are shown on the invoices' "
                              "due dates (overdue ones in the first week), not forecast.", pd.DataFrame(),
                              "an open-items export has no payment history to time them")
    events = cash_events(ledger)
    model = model_weeks(ledger, book, day)
    pattern = pattern_weeks(ledger, events, book, day)
    frame = frame.assign(model=model, **{"due date": due, "last 13 weeks": pattern})
    tests = backtest(ledger, day, months)
    if len(tests):  # a month-end whose 13 weeks brought no cash at all cannot test anything
        received_then = tests.groupby("date")["actual"].sum()
        tests = tests[tests["date"].isin(received_then.index[received_then > 0])].reset_index(drop=True)
    n_dates = int(tests["date"].nunique()) if len(tests) else 0
    if n_dates < MIN_BACKTEST:
        return due_dates_only(frame, f"Too little history to test a forecast ({n_dates} month-end(s) with 13 weeks "
                                     f"after them and cash received in them; needs {MIN_BACKTEST}): the receipts are "
                                     "shown on the invoices' due dates.", tests, "too little history to test them")
    table = accuracy(tests)
    used = chosen(table)
    expected, low, high, method = np.zeros(WEEKS), np.zeros(WEEKS), np.zeros(WEEKS), [""] * WEEKS
    for horizon, weeks in HORIZONS.items():
        m = used[horizon]
        lo, hi = band(tests, m, weeks)
        for w in weeks:
            expected[w - 1] = frame[m].iloc[w - 1]
            low[w - 1], high[w - 1] = expected[w - 1] * lo, expected[w - 1] * hi
            method[w - 1] = m
    later = used["weeks 5–13"]
    month_values = (model_days(ledger, book, day, ends) if later == "model"
                    else due_date_days(ledger, book, day, ends))
    reason, extra = reason_text(table, used, n_dates), {}
    if include_new_sales:
        new, new_low, new_high, extra = new_sales_part(ledger, day, events, sorted(tests["date"].unique()), currency)
        if extra["included"]:
            expected, low, high = expected + new, low + new_low, high + new_high
            month_values = month_values + newsales.new_sales_days(ledger, day, ends)
            frame = frame.assign(**{"new sales": new})
        reason = f"{reason} {extra['reason']}"
    frame = frame.assign(expected=expected, low=low, high=high, method=method)
    month_frame = pd.DataFrame({"month": _month_names(day), "expected": month_values,
                                "method": "model" if later == "model" else "due date"})
    return CashForecast(pd.Timestamp(as_of), currency, True, reason, frame, month_frame, book.total, tests, table,
                        used, coverage(tests, used), extra)


def reason_text(table: pd.DataFrame, used: dict[str, str], dates: int) -> str:
    """What is shown and why, in words, with the backtest's WAPE."""
    parts = []
    for horizon, method in used.items():
        row = table.loc[horizon]
        scores = (f"WAPE {row['model']:.0%} against {row['due date']:.0%} (due dates) and "
                  f"{row['last 13 weeks']:.0%} (last 13 weeks repeated)")
        if method == "model":
            parts.append(f"for {horizon} the forecast beat both naive methods ({scores}) and is used")
        else:
            parts.append(f"for {horizon} the forecast did not beat both naive methods ({scores}), so "
                         f"{METHOD_LABELS[method]} are shown instead" if method == "due date" else
                         f"for {horizon} the forecast did not beat both naive methods ({scores}), so "
                         f"{METHOD_LABELS[method]} is shown instead")
    text = "; ".join(parts)
    return (f"Tested at {dates} past month-ends, each from what was known then: {text}. WAPE is the "
            "weekly error as a share of the cash received (lower is better).")


def plain_reason(f: CashForecast) -> str:
    """How far to trust the weekly figures, in a client's words (the consultant's version with WAPE
    is :attr:`CashForecast.reason`)."""
    if not f.available:
        return f.reason
    dates = int(f.tests["date"].nunique())
    parts = []
    for horizon, method in f.used.items():
        row = f.accuracy.loc[horizon]
        if method == "model":
            parts.append(f"in {horizon} it was off by {row['model']:.0%} of the cash received (against "
                         f"{row['due date']:.0%} for due dates and {row['last 13 weeks']:.0%} for the last 13 "
                         "weeks repeated)")
        else:
            parts.append(f"in {horizon} it did no better than {METHOD_LABELS[method]} (off by "
                         f"{row[method]:.0%}), which {'are' if method == 'due date' else 'is'} shown instead")
    if f.new_sales.get("included"):
        ns = f.new_sales["wape"]
        parts.append("the part from invoices not yet issued was off by "
                     + " and ".join(f"{v:.0%} in {h}" for h, v in ns.items() if v is not None))
    return (f"Checked against what actually came in after each of the last {dates} month-ends, from what was "
            f"known at the time: " + "; ".join(parts) + ".")


def scope_text(f: CashForecast) -> str:
    """What the expected receipts cover, in a few words (for a sentence's parenthesis)."""
    if f.new_sales.get("included"):
        return (f"of which {money_text(float(f.weeks['new sales'].sum()), f.currency)} from invoices not yet "
                "issued: the last 13 weeks' sales repeated, paid with the customers' timing")
    if f.new_sales:
        return "invoices not yet issued are not included: " + f.new_sales["reason"].split(": ", 1)[1].rstrip(".")
    return "receipts from today's open invoices; invoices not yet issued are not included"


def headline(f: CashForecast) -> str:
    """One line for a terminal: cash expected in 4 and 13 weeks and the backtest's WAPE per horizon."""
    four, all13 = float(f.weeks["expected"].head(4).sum()), float(f.weeks["expected"].sum())
    text = (f"{money_text(four, f.currency)} expected in 4 weeks, {money_text(all13, f.currency)} in 13 "
            f"(of {money_text(f.open_total, f.currency)} open)")
    if f.new_sales.get("included"):
        text += f", of which {money_text(float(f.weeks['new sales'].sum()), f.currency)} from invoices not yet issued"
    if not f.available:
        return text + "; due dates only: " + f.reason.split(":")[0].lower()
    scores = "; ".join(f"{h}: forecast {row['model']:.0%}, due dates {row['due date']:.0%}, last 13 weeks "
                       f"{row['last 13 weeks']:.0%} -> {METHOD_LABELS[f.used[h]]}" for h, row in f.accuracy.iterrows())
    return text + f"; backtest WAPE ({int(f.tests['date'].nunique())} month-ends) {scores}"
