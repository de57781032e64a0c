"""Findings: the assessment's headline observations, as data.

:func:`generate_findings` applies a fixed list of rules to the scorecard, the
aging, the top overdue customers, the maturity score and the monthly KPI
history. Each rule that has the data it needs gives one :class:`Finding`; the
findings are ordered by severity (high, medium, low) and then by the size of
the gap, and the first ``MAX_FINDINGS`` are kept.

Severity of a KPI against its benchmark b (relative gap g), the one the scorecard compares it with
(a published figure for the client's industry and region, or the registry's rule of thumb;
:mod:`arassess.kpi.benchmarks`):

    g = (value − b) / b   when lower is better,   g = (b − value) / b   when higher is better
    high: g ≥ 0.5     medium: 0 < g < 0.5     low: g ≤ 0 (at or better than the benchmark)

The rules (key → what it says; area it maps to in the action plan):

=================  ==========================================================  =====================
key                rule                                                        area
=================  ==========================================================  =====================
add                DSO vs best possible DSO; ADD and the overdue AR tied up     add
                   (severity: ADD vs its benchmark)
concentration      smallest number k of customers holding ≥ 40% of overdue     top10_overdue_share
                   AR; high if k ≤ 3, else the top-10 share vs its benchmark
pct_over_90        % of AR > 90 days past due and its amount vs benchmark       pct_over_90
cei                CEI vs benchmark                                             cei
on_time_rate       on-time rate vs benchmark, with the mean days late           on_time_rate
bad_debt_ratio     write-offs / credit sales (12 m) vs benchmark                bad_debt_ratio
dispute_rate       dispute rate vs benchmark                                    dispute_rate
dso_trend          period DSO now vs 12 month-ends earlier (high ≥ +10 days,    dso
                   medium ≥ +3 days, else low)
overdue_share      (only without ADD) overdue AR / AR (high > 50%, medium >      ar_overdue
                   25%, else low)
maturity           overall maturity and the weakest areas (high < 2,            weakest area's key
                   medium < 3, else low; g = (3 − overall) / 3)
data_gaps          how many KPIs the data cannot give and what would (low)      monitoring
entitlement        the statutory (or contractual) interest and fixed sums late  mean_days_late
                   payers owed in the last 12 months (arassess.legal), when a
                   late-payment law is set (legal.regime) and something was
                   owed (medium; always kept, in the last place)
as_of              each warning that the as-of date contradicts the data        monitoring
                   (arassess.inputs.intake.as_of_notes: open items dated
                   after it, before the first invoice, a year after the
                   last); high, always first, beyond MAX_FINDINGS
=================  ==========================================================  =====================

With an open-items export (no sales history) the balance rules (overdue
share, % over 90, concentration), maturity and data gaps still apply, so there
are at least three findings whenever there is open AR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import pandas as pd

from arassess.assessment.aging import customers_holding
from arassess.assessment.maturity import Maturity
from arassess.display.format import format_value
from arassess.kpi.coverage import NOT_AN_INPUT, provided_by
from arassess.kpi.engine import months_before
from arassess.kpi.registry import get
from arassess.legal.entitlement import Entitlement

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
MAX_FINDINGS = 7
MIN_FINDINGS = 3
HIGH_GAP = 0.5                 # relative gap to the benchmark from which a KPI finding is "high"
CONCENTRATION_SHARE = 40.0     # % of overdue AR whose holders the concentration rule counts
CONCENTRATION_HIGH = 3         # that many customers or fewer holding it: high
TREND_MONTHS = 12
TREND_HIGH_DAYS = 10.0
TREND_MEDIUM_DAYS = 3.0
TREND_STABLE_DAYS = 1.0
OVERDUE_HIGH = 50.0            # % of AR past due
OVERDUE_MEDIUM = 25.0
MATURITY_TARGET = 3.0          # "Managed": the level a sound process reaches
MATURITY_HIGH = 2.0
SEASONAL_SALES_CV = 0.15       # coefficient of variation of monthly credit sales
SEASONAL_DSO_GAP = 0.10        # |period DSO − countback DSO| / countback DSO
SEASONAL_MIN_MONTHS = 6


@dataclass(frozen=True)
class Finding:
    """One headline observation: a plain sentence and the figure behind it.

    ``value``/``unit``: the headline figure ('days', '%', 'currency', 'score',
    'count'); ``area``: the registry KPI key or maturity area key the action
    plan maps the finding to.
    """

    key: str
    text: str
    value: float
    unit: str
    severity: Severity
    area: str


@dataclass(frozen=True)
class _Candidate:
    finding: Finding
    gap: float  # size of the gap, for ordering within a severity (larger first)


# --- helpers --------------------------------------------------------------------------

def _value(card: pd.DataFrame, key: str) -> float:
    """The scorecard value of ``key`` (NaN if absent or missing)."""
    row = card.loc[card["key"] == key, "value"]
    return float(row.iloc[0]) if len(row) and pd.notna(row.iloc[0]) else float("nan")


def _nan(x: float) -> bool:
    return x is None or math.isnan(x)


def benchmark_of(card: pd.DataFrame, key: str) -> float:
    """The benchmark the scorecard compares ``key`` with (the client's published figure or the rule of
    thumb, arassess.kpi.benchmarks); NaN when it has none."""
    if "benchmark" in card:
        row = card.loc[card["key"] == key, "benchmark"]
        if len(row) and pd.notna(row.iloc[0]):
            return float(row.iloc[0])
    kpi = get(key)
    return float("nan") if kpi.benchmark is None else float(kpi.benchmark)


def relative_gap(key: str, value: float, benchmark: float) -> float:
    """(value − b) / b if lower is better, (b − value) / b if higher is better (b: ``benchmark``)."""
    kpi = get(key)
    if _nan(benchmark) or kpi.higher_is_better is None or _nan(value):
        return float("nan")
    gap = (value - benchmark) if not kpi.higher_is_better else (benchmark - value)
    return gap / benchmark


def severity_of_gap(gap: float) -> Severity:
    """high if gap ≥ HIGH_GAP, medium if 0 < gap < HIGH_GAP, low otherwise (at or better than benchmark)."""
    if gap >= HIGH_GAP:
        return "high"
    return "medium" if gap > 0 else "low"


def _pct(x: float) -> str:
    return f"{x:.0f}%" if abs(x) >= 10 else f"{x:.1f}%"


def _lower_first(label: str) -> str:
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _series(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


# --- rules ----------------------------------------------------------------------------

def _add(card: pd.DataFrame, currency: str) -> list[_Candidate]:
    dso, bpdso, add, overdue = (_value(card, k) for k in ("dso", "bpdso", "add", "ar_overdue"))
    if _nan(add) or _nan(dso) or _nan(bpdso):
        return []
    gap = relative_gap("add", add, benchmark_of(card, "add"))
    tied = f"; {format_value(overdue, 'currency', currency)} of overdue AR is tied up" if not _nan(overdue) else ""
    text = (f"DSO is {dso:.1f} days against a best possible {bpdso:.1f} days: "
            f"{add:.1f} days of delay (ADD){tied}.")
    return [_Candidate(Finding("add", text, add, "days", severity_of_gap(gap), "add"), gap)]


def _concentration(top: pd.DataFrame, currency: str, card: pd.DataFrame) -> list[_Candidate]:
    if top is None or top.empty or top["share"].isna().all():
        return []
    top10 = float(top["share"].head(10).sum())
    gap = relative_gap("top10_overdue_share", top10, benchmark_of(card, "top10_overdue_share"))
    k = customers_holding(top, CONCENTRATION_SHARE)
    if k is None:
        text = (f"Overdue AR is spread widely: the {len(top)} customers owing most hold {_pct(top10)} of it.")
        return [_Candidate(Finding("concentration", text, top10, "%", "low", "top10_overdue_share"), gap)]
    share = float(top["cumulative_share"].iloc[k - 1])
    amount = float(top["overdue_amount"].head(k).sum())
    who = f"one customer, {top['customer_name'].iloc[0]}" if k == 1 else f"{k} customers"
    extra = f" (the top 10 hold {_pct(top10)})" if len(top) >= 10 and k < 10 else ""
    text = f"{_pct(share)} of overdue AR ({format_value(amount, 'currency', currency)}) sits with {who}{extra}."
    severity = "high" if k <= CONCENTRATION_HIGH else severity_of_gap(gap)
    return [_Candidate(Finding("concentration", text, share, "%", severity, "top10_overdue_share"),
                       max(gap, HIGH_GAP) if severity == "high" else gap)]


def _over_90(card: pd.DataFrame, currency: str) -> list[_Candidate]:
    v, ar = _value(card, "pct_over_90"), _value(card, "ar_total")
    if _nan(v):
        return []
    b = benchmark_of(card, "pct_over_90")
    gap = relative_gap("pct_over_90", v, b)
    amount = f" ({format_value(v / 100 * ar, 'currency', currency)})" if not _nan(ar) else ""
    where = "above" if gap > 0 else "within"
    text = f"{format_value(v, '%', currency)} of AR{amount} is more than 90 days past due, {where} the {b:g}% benchmark."
    return [_Candidate(Finding("pct_over_90", text, v, "%", severity_of_gap(gap), "pct_over_90"), gap)]


def _cei(card: pd.DataFrame) -> list[_Candidate]:
    v = _value(card, "cei")
    if _nan(v):
        return []
    b = benchmark_of(card, "cei")
    gap = relative_gap("cei", v, b)
    if gap > 0:
        text = (f"The collection effectiveness index (CEI) is {v:.1f}%, below the {b:g}% benchmark: "
                f"{100 - v:.0f}% of what could be collected in the window was not.")
    else:
        text = f"The collection effectiveness index (CEI) is {v:.1f}%, at or above the {b:g}% benchmark."
    return [_Candidate(Finding("cei", text, v, "%", severity_of_gap(gap), "cei"), gap)]


def _on_time(card: pd.DataFrame) -> list[_Candidate]:
    v, late = _value(card, "on_time_rate"), _value(card, "mean_days_late")
    if _nan(v):
        return []
    b = benchmark_of(card, "on_time_rate")
    gap = relative_gap("on_time_rate", v, b)
    lateness = f"; the mean days late was {late:.1f}" if not _nan(late) else ""
    lead = "Only " if gap > 0 else ""
    where = "below" if gap > 0 else "at or above"
    text = (f"{lead}{v:.0f}% of the invoices paid in the window were paid by their due date "
            f"({where} the {b:g}% benchmark){lateness}.")
    return [_Candidate(Finding("on_time_rate", text, v, "%", severity_of_gap(gap), "on_time_rate"), gap)]


def _against_benchmark(card: pd.DataFrame, key: str, sentence: str) -> list[_Candidate]:
    """One finding for KPI ``key`` against its benchmark; ``sentence`` is formatted with
    {v} (the value), {where} ('above'/'within') and {b} (the benchmark)."""
    v = _value(card, key)
    if _nan(v):
        return []
    b = benchmark_of(card, key)
    gap = relative_gap(key, v, b)
    text = sentence.format(v=v, where="above" if gap > 0 else "within", b=b)
    return [_Candidate(Finding(key, text, v, "%", severity_of_gap(gap), key), gap)]


def _bad_debt(card: pd.DataFrame) -> list[_Candidate]:
    return _against_benchmark(card, "bad_debt_ratio", "Write-offs over the last 12 months were {v:.2f}% of "
                              "credit sales, {where} the {b:g}% benchmark.")


def _disputes(card: pd.DataFrame) -> list[_Candidate]:
    return _against_benchmark(card, "dispute_rate", "{v:.1f}% of the invoices issued in the window were "
                              "disputed, {where} the {b:g}% benchmark.")


def dso_change(series_values: pd.DataFrame | None, months: int = TREND_MONTHS) -> tuple[float, float, float]:
    """(DSO then, DSO now, change) between the last month-end of ``series_values`` and ``months`` earlier.

    NaNs when the series has no period DSO at either date.
    """
    nan = (float("nan"),) * 3
    if series_values is None or series_values.empty or "dso" not in series_values:
        return nan
    last = series_values.index[-1]
    earlier = months_before(last, months)
    if earlier not in series_values.index:
        return nan
    now, then = float(series_values.at[last, "dso"]), float(series_values.at[earlier, "dso"])
    return (then, now, now - then) if not (_nan(now) or _nan(then)) else nan


def _trend(series_values: pd.DataFrame | None) -> list[_Candidate]:
    then, now, change = dso_change(series_values)
    if _nan(change):
        return []
    if abs(change) < TREND_STABLE_DAYS:
        text = f"DSO was stable over the last {TREND_MONTHS} months ({then:.1f} then, {now:.1f} days now)."
    else:
        verb = "rose" if change > 0 else "fell"
        text = (f"DSO {verb} by {abs(change):.1f} days over the last {TREND_MONTHS} months, "
                f"from {then:.1f} to {now:.1f} days.")
    severity: Severity = ("high" if change >= TREND_HIGH_DAYS else "medium" if change >= TREND_MEDIUM_DAYS
                          else "low")
    return [_Candidate(Finding("dso_trend", text, change, "days", severity, "dso"), change / then if then else 0.0)]


def _overdue_share(aging: pd.DataFrame, card: pd.DataFrame, currency: str) -> list[_Candidate]:
    if not _nan(_value(card, "add")):
        return []  # the ADD finding already says how much is overdue
    total = float(aging["amount"].sum()) if aging is not None and len(aging) else 0.0
    if total <= 0:
        text = "There is no open AR at the as-of date."
        return [_Candidate(Finding("overdue_share", text, 0.0, "%", "low", "ar_overdue"), 0.0)]
    overdue = float(aging["amount"].iloc[1:].sum())  # every bucket but the first ("Current" = not yet due)
    share = overdue / total * 100.0
    severity: Severity = "high" if share > OVERDUE_HIGH else "medium" if share > OVERDUE_MEDIUM else "low"
    text = (f"{_pct(share)} of open AR ({format_value(overdue, 'currency', currency)} of "
            f"{format_value(total, 'currency', currency)}) is past due.")
    return [_Candidate(Finding("overdue_share", text, share, "%", severity, "ar_overdue"),
                       (share - OVERDUE_MEDIUM) / OVERDUE_MEDIUM)]


def _maturity(maturity: Maturity | None) -> list[_Candidate]:
    if maturity is None or _nan(maturity.overall) or not maturity.weakest:
        return []
    scores = maturity.areas["score"]
    weak = [f"{_lower_first(maturity.areas.at[k, 'label'])} ({scores[k]:.2f})" for k in maturity.weakest]
    noun = "area is" if len(weak) == 1 else "areas are"
    text = (f"Process maturity is {maturity.overall:.1f} of {maturity.scale_max} ({maturity.level}); "
            f"the weakest {noun} {_series(weak)}.")
    overall = maturity.overall
    severity: Severity = ("high" if overall < MATURITY_HIGH else "medium" if overall < MATURITY_TARGET else "low")
    return [_Candidate(Finding("maturity", text, overall, "score", severity, maturity.weakest[0]),
                       (MATURITY_TARGET - overall) / MATURITY_TARGET)]


def _data_gaps(card: pd.DataFrame) -> list[_Candidate]:
    missing = card[card["value"].isna()]
    if missing.empty:
        return []
    n = len(missing)
    providers = pd.Series([provided_by(k, note if isinstance(note, str) else "", has_dispute_column=True)
                           for k, note in zip(missing["key"], missing["note"])], dtype=object)
    providers = providers[(providers != "") & (providers != NOT_AN_INPUT)]
    need = ""
    if len(providers):
        counts = providers.value_counts()
        what, count = str(counts.index[0]), int(counts.iloc[0])
        what = "the " + what if what.startswith("full ") else what
        subject = ("it needs" if n == 1 else "they need") if count == n else f"{count} of them need"
        need = f"; {subject} {what}"
    text = f"{n} of the {len(card)} KPIs cannot be computed from this data{need}."
    return [_Candidate(Finding("data_gaps", text, float(n), "count", "low", "monitoring"), -1.0)]


def _entitlement(owed: Entitlement | None, currency: str) -> list[Finding]:
    """The money late payers owed under the client's late-payment law (none when no law is set or
    nothing was owed)."""
    if owed is None or not owed.available or owed.total <= 0:
        return []
    r = owed.regime
    text = (f"Under {r.law}, late payers owed {format_value(owed.total, 'currency', currency)} in the last 12 "
            f"months: {format_value(owed.interest, 'currency', currency)} interest ({r.reference_name.split(' (')[0]}"
            f" + {r.margin:g} points) and {format_value(owed.fixed, 'currency', currency)} fixed compensation on "
            f"{owed.late_invoices:,} invoices paid late.")
    return [Finding("entitlement", text, owed.total, "currency", "medium", "mean_days_late")]


WARNING_PREFIX = "WARNING: "


def _date_warnings(warnings: Sequence[str]) -> list[Finding]:
    """The as-of warnings of the load (:func:`arassess.inputs.intake.as_of_notes`: a date the data
    contradicts), each a high finding: the figures after it rest on that date."""
    texts = [w.removeprefix(WARNING_PREFIX) for w in warnings]
    return [Finding("as_of", t[:1].upper() + t[1:], float("nan"), "count", "high", "monitoring") for t in texts]


def generate_findings(scorecard: pd.DataFrame, aging: pd.DataFrame, top_customers: pd.DataFrame,
                      maturity: Maturity | None, currency: str,
                      series_values: pd.DataFrame | None = None, owed: Entitlement | None = None,
                      date_warnings: Sequence[str] = ()) -> list[Finding]:
    """The assessment's findings (see the module docstring for the rules).

    Parameters: ``scorecard`` from :func:`arassess.kpi.scorecard.scorecard` (extra
    columns are ignored); ``aging`` from :func:`arassess.assessment.aging.aging_summary`;
    ``top_customers`` from :func:`arassess.assessment.aging.top_overdue_customers`;
    ``maturity`` from :func:`arassess.assessment.maturity.score_maturity` or None;
    ``series_values`` the monthly ``kpi_series(...).values`` or None.

    Returns between 3 and ``MAX_FINDINGS`` findings (fewer only when the data
    supports fewer rules, e.g. no open AR and no questionnaire), ordered by
    severity and then by gap, largest first. ``date_warnings`` (the as-of warnings of
    :func:`arassess.inputs.intake.as_of_notes`) come before them, always and beyond that count: a
    reader must see that the date assessed contradicts the data before any figure measured at it.
    """
    candidates = [*_add(scorecard, currency), *_concentration(top_customers, currency, scorecard),
                  *_over_90(scorecard, currency), *_cei(scorecard), *_on_time(scorecard),
                  *_bad_debt(scorecard), *_disputes(scorecard), *_trend(series_values),
                  *_overdue_share(aging, scorecard, currency), *_maturity(maturity), *_data_gaps(scorecard)]
    candidates.sort(key=lambda c: (SEVERITY_ORDER[c.finding.severity], 0.0 if _nan(c.gap) else -c.gap))
    kept = [c.finding for c in candidates[:MAX_FINDINGS]]
    extra = _entitlement(owed, currency)
    if extra:  # money the client is owed is always said: it takes the last place if the list is full
        kept = sorted(kept[:MAX_FINDINGS - 1] + extra, key=lambda f: SEVERITY_ORDER[f.severity])  # stable
    return _date_warnings(date_warnings) + kept


# --- seasonality ----------------------------------------------------------------------

def seasonality_note(series_values: pd.DataFrame | None, sales: pd.Series | None = None) -> str | None:
    """A note when monthly sales swing enough to distort the period DSO, else None.

    Two tests, either one is enough:

    1. with ``sales`` (credit sales per calendar month, e.g.
       :func:`arassess.kpi.coverage.monthly_sales`) of at least 6 months:
       coefficient of variation = std / mean (population std) > 15%;
    2. with the monthly KPIs ``series_values`` (columns dso, dso_countback):
       |period DSO − countback DSO| / countback DSO > 10% at some month-end.

    The note names the widest month and recommends reading the countback DSO.
    """
    parts: list[str] = []
    if sales is not None:
        s = pd.Series(sales, dtype=float).dropna()
        if len(s) >= SEASONAL_MIN_MONTHS and s.mean() > 0:
            cv = float(s.std(ddof=0) / s.mean())
            if cv > SEASONAL_SALES_CV:
                lo, hi = s.idxmin(), s.idxmax()
                parts.append(f"monthly credit sales swing by {cv:.0%} around their mean (from "
                             f"{s[lo]:,.0f} in {lo:%b %Y} to {s[hi]:,.0f} in {hi:%b %Y})")
    if series_values is not None and {"dso", "dso_countback"} <= set(series_values.columns):
        both = series_values[["dso", "dso_countback"]].dropna()
        both = both[both["dso_countback"] > 0]
        if len(both):
            gap = (both["dso"] - both["dso_countback"]).abs() / both["dso_countback"]
            at = gap.idxmax()
            if gap[at] > SEASONAL_DSO_GAP:
                parts.append(f"in {at:%b %Y} the period DSO ({both.at[at, 'dso']:.1f} days) and the countback DSO "
                             f"({both.at[at, 'dso_countback']:.1f} days) were {gap[at]:.0%} apart")
    if not parts:
        return None
    text = "; ".join(parts)
    return (f"Sales are seasonal enough to distort the period DSO: {text}. "
            "Read the countback DSO, which follows the actual months of sales.")
