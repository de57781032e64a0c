"""Late-payment risk: the probability that an open invoice is paid more than ``threshold_days``
late, per invoice and per customer, validated honestly against a naive baseline.

Rows and features come from :mod:`arassess.risk.features` (as of a date, no look-ahead). The method:

1. **History rows**: every invoice (not a credit note) issued at least ``burn_in_days`` after the
   ledger's first invoice (earlier ones would look like new customers) and due at least
   ``threshold_days`` + 1 days before T, so its outcome is known at T whatever it is (a recent
   invoice is known only if paid, which would bias the rows towards paying on time). Above
   ``max_history_rows`` (60,000) history rows, a seeded uniform sample of that many is used for
   every step below, so the fit and its test stay honest at a million invoices in seconds; the
   stated tolerance (tests/risk/test_risk.py on a small ledger, ``bench/risk.py --subsample`` at 1M
   invoices): the whole history's test AUC of the predictor used lies inside the sampled fit's
   95% interval, and the two Brier scores differ by at most 0.01.
2. **Time-based split**: cut-off C = the due date below which 1 − ``test_share`` of the history
   rows fall. The model is trained on what was known at C (rows due by C − threshold − 1) and
   tested on the rows due after C: predictions a user at C would have made about invoices then
   still to fall due, checked against what happened.
3. **Candidates**: a logistic regression on standardised features and a gradient-boosted tree
   model (scikit-learn's HistGradientBoostingClassifier), each calibrated with a sigmoid
   (CalibratedClassifierCV, 3 folds). The one with the lower mean Brier score over three
   rolling-origin folds inside the training period is chosen (each fold trains on what was known
   at its cut and validates on the invoices due up to the next cut, cuts at the 55%, 70% and 85%
   quantiles of the training due dates); the test period is not used to choose.
4. **Baseline**: the customer's smoothed historical late share (feature ``hist_late_share``).
5. **Decision**: the model is used only if, on the test period, its Brier score is lower than the
   baseline's *and* the 95% paired-bootstrap interval of AUC(model) − AUC(baseline) lies above 0
   (``bootstrap`` resamples, seeded). Otherwise the baseline is used and the result says so.
6. **Scoring at T**: the used predictor is refitted on all history rows (the baseline needs no
   fit) and scores the open invoices not yet ``threshold_days`` past due: P(late) as at issue, from
   the customer's features at T. That probability is then **updated for the invoice's age** a =
   T − due date, since an invoice still unpaid a days after its due date is likelier to be late:
   by Bayes' rule (:func:`update_for_age`) with the customer's share of in-time payments that came
   in later than a days (:func:`still_open_share`, shrunk towards the portfolio's). The update is
   checked on the test period (``age_check``: invoices still open 0, 10 and 20 days after their
   due date, updated probability against the share paid late). An open invoice already more than
   ``threshold_days`` past due *is* late: its probability is 1 ("already late").
7. **Customer score** = Σ open amount × probability / Σ open amount over the customer's open
   invoices (the share of its open balance expected to be paid late); band **high** from
   ``high_from``, **low** below ``low_below``, else **medium**.
8. **Drivers** of a customer's score (model only): for each feature (the segment columns as one),
   the drop in the amount-weighted mean probability at issue of its undecided open invoices when
   that feature is set to its training median; the largest positive drops, in words, each with
   the value of the invoice where that feature raised the probability most and the typical
   value — only features whose value lies on the risky side of typical (:func:`_drivers`).

Unavailable (with the reason, no fit) for an open-items export, or when the history has fewer rows
or late/on-time cases than the settings require. All randomness is seeded (``seed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
import pandas as pd

from arassess.config.risk import RiskSettings
from arassess.display.format import money_text
from arassess.errors import ArgumentError
from arassess.kpi.open_items import customer_table, open_balance
from arassess.ledger.balances import day_number, timeline_of
from arassess.ledger.model import Ledger
from arassess.risk.features import (
    BASELINE_FEATURE,
    PRIOR_WEIGHT,
    SEGMENT_PREFIX,
    Outcomes,
    feature_index,
    features,
    outcomes,
)

BANDS = ("low", "medium", "high")
VALIDATION_CUTS = (0.55, 0.70, 0.85)   # rolling-origin folds inside the training period (quantiles of due dates)
AGE_PRIOR = 5.0                        # pseudo-invoices of the portfolio's payment timing in a customer's
AGE_CHECKS = (0, 10, 20)               # days past due at which the age update is checked on the test period
MODEL_NAMES = {"logistic": "logistic regression", "boosting": "gradient boosting", "baseline": "baseline"}
#: Words for each feature in the drivers and the tables.
FEATURE_LABELS = {
    "hist_invoices": "past invoices",
    "hist_late_share": "share of past invoices paid late",
    "hist_mean_days_late": "mean days late when paying",
    "days_late_trend": "recent change in days late",
    "dispute_share": "share of invoices disputed",
    "amount_vs_usual": "invoice size vs the customer's usual",
    "terms_days": "payment terms (days)",
    "tenure_days": "customer for (days)",
    "overdue_balance": "overdue balance",
    "overdue_share": "share of the open balance overdue",
    "oldest_days_past_due": "oldest overdue item (days)",
    "segment": "segment",
}


@dataclass(frozen=True)
class RiskResult:
    """Everything the risk section, the worklist and the action plan need (see the module docstring).

    ``invoices``: open invoices at T — invoice_id, customer_id, customer_name, open_amount,
    days_past_due, probability (updated for the invoice's age), probability_at_issue (the
    predictor's, from the customer's features), basis ("model", "baseline" or "already late").
    ``customers``: customer_id, customer_name, segment, invoices, open_amount, expected_late_amount,
    score, band, already_late_share (of the open amount, more than the threshold late),
    past_invoices, past_late_share, drivers — highest score first.
    ``validation``: one row per predictor (baseline, logistic regression, gradient boosting) with
    validation_brier (model choice), test auc, auc_low, auc_high, brier, chosen, used.
    ``calibration``: predictor, predicted, observed (test period, 10 quantile bins).
    ``age_check``: days_past_due, invoices, at_issue, updated, observed — the age update on the test
    period (module docstring, step 6)."""

    available: bool
    reason: str
    settings: RiskSettings
    as_of: pd.Timestamp
    used: str = ""                               # "model" or "baseline" when available
    model_name: str = ""                         # words: "gradient boosting", "baseline", ...
    invoices: pd.DataFrame = field(default_factory=pd.DataFrame)
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    split: Mapping[str, Any] = field(default_factory=dict)
    fit_seconds: float = float("nan")
    age_check: pd.DataFrame = field(default_factory=pd.DataFrame)

    def probability(self) -> pd.Series:
        """invoice_id → probability of every open invoice (empty when unavailable)."""
        if not self.available:
            return pd.Series(dtype=float)
        return self.invoices.set_index("invoice_id")["probability"]

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready key figures: decision, validation, bands and the ``top`` riskiest customers."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")]

        out: dict[str, Any] = {"available": self.available, "reason": self.reason,
                               "threshold_days": self.settings.threshold_days}
        if not self.available:
            return out
        return {**out, "used": self.used, "model": self.model_name, "fit_seconds": round(self.fit_seconds, 3),
                "split": {k: (f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else v) for k, v in self.split.items()},
                "validation": records(self.validation.round(4)),
                "bands": records(self.band_counts().assign(band=lambda f: f["band"].astype(str))),
                "top_customers": records(self.customers.head(top).assign(band=lambda f: f["band"].astype(str))
                                         .drop(columns=["drivers"]).round(4)
                                         .assign(drivers=self.customers.head(top)["drivers"]))}

    def band_counts(self) -> pd.DataFrame:
        """Customers and open amount per band (low, medium, high)."""
        c = self.customers
        if not self.available or c.empty:
            return pd.DataFrame({"band": list(BANDS), "customers": 0, "open_amount": 0.0})
        g = c.groupby("band", observed=False).agg(customers=("customer_id", "size"), open_amount=("open_amount", "sum"))
        return g.reindex(list(BANDS), fill_value=0).rename_axis("band").reset_index()

    def high_risk(self) -> pd.DataFrame:
        """The customers in band high, largest expected late amount (open × probability) first."""
        if not self.available:
            return self.customers
        high = self.customers[self.customers["band"] == "high"]
        return high.sort_values(["expected_late_amount", "customer_id"], ascending=[False, True], ignore_index=True)


def unavailable(reason: str, as_of: pd.Timestamp, settings: RiskSettings) -> RiskResult:
    return RiskResult(False, reason, settings, as_of)


# --- the models ---------------------------------------------------------------------------------

def make_model(kind: str, seed: int) -> Any:
    """An unfitted calibrated classifier: ``logistic`` or ``boosting`` (module docstring, step 3)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        base: Any = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    elif kind == "boosting":
        base = HistGradientBoostingClassifier(max_iter=120, learning_rate=0.08, max_leaf_nodes=15,
                                              min_samples_leaf=40, l2_regularization=1.0,
                                              early_stopping=False, random_state=seed)
    else:
        raise ArgumentError(f"unknown model kind {kind!r}: expected logistic or boosting")
    return CalibratedClassifierCV(base, method="sigmoid", cv=3)


def _fit_predict(kind: str, seed: int, X: pd.DataFrame, y: np.ndarray, X_new: pd.DataFrame) -> tuple[Any, np.ndarray]:
    """Fit on (X, y) and predict X_new, on one thread: the gradient-boosting fit uses OpenMP, whose
    threads spin-wait and slow down many times over when kernels of a batch share the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        model = make_model(kind, seed).fit(X.to_numpy(), y)
        return model, model.predict_proba(X_new.to_numpy())[:, 1]


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean of (p − y)²."""
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC (scikit-learn); NaN when y has one class only."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def rank_auc(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``p`` against the same row of ``y`` (2-D, one resample per row) by the
    Mann–Whitney identity AUC = (Σ midranks of the late rows − n1(n1 + 1)/2) / (n1 · n0); NaN for a
    row with one class only. Equals scikit-learn's roc_auc_score, row by row."""
    from scipy.stats import rankdata

    y = np.atleast_2d(y).astype(float)
    ranks = rankdata(np.atleast_2d(p), axis=1)
    n1 = y.sum(axis=1)
    n0 = y.shape[1] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((ranks * y).sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)


@dataclass(frozen=True)
class _Ranked:
    """A predictor's scores sorted once: the order, and where each run of equal scores starts."""

    order: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, p: np.ndarray) -> "_Ranked":
        order = np.argsort(p, kind="stable")
        ranked = np.asarray(p, dtype=float)[order]
        starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
        return cls(order, starts)

    def auc(self, late_weight: np.ndarray, prompt_weight: np.ndarray) -> float:
        """AUC with row weights (a bootstrap resample's counts): Σ over groups of equal scores of
        late weight × (prompt weight below + half the prompt weight in the group) / (Σ late × Σ
        prompt) — the Mann–Whitney statistic of the resample, ties counted as a half."""
        late = np.add.reduceat(late_weight[self.order], self.starts)
        prompt = np.add.reduceat(prompt_weight[self.order], self.starts)
        below = np.cumsum(prompt) - prompt
        return float((late * (below + 0.5 * prompt)).sum() / (late.sum() * prompt.sum()))


BOOTSTRAP_CHUNK = 16  # resamples drawn at a time (memory: chunk × rows indices)


def bootstrap_auc(y: np.ndarray, predictions: Mapping[str, np.ndarray], resamples: int, seed: int
                  ) -> dict[str, np.ndarray]:
    """AUC of each predictor on the same ``resamples`` resamples of the rows (paired, seeded: row
    indices drawn with replacement, ``resamples`` × n, in chunks); resamples with one class only are
    dropped. Each predictor's scores are sorted once; a resample is a vector of row counts, so its AUC
    takes one pass (:meth:`_Ranked.auc`) — the same values as ranking every resample."""
    y = np.asarray(y).astype(float)
    n = len(y)
    rng = np.random.default_rng(seed)
    ranked = {name: _Ranked.of(np.asarray(p, dtype=float)) for name, p in predictions.items()}
    out: dict[str, list[float]] = {name: [] for name in predictions}
    done = 0
    while done < resamples:
        chunk = rng.integers(0, n, (min(BOOTSTRAP_CHUNK, resamples - done), n))
        done += len(chunk)
        for take in chunk:
            counts = np.bincount(take, minlength=n).astype(float)
            late, prompt = counts * y, counts * (1.0 - y)
            if not late.sum() or not prompt.sum():
                continue
            for name, r in ranked.items():
                out[name].append(r.auc(late, prompt))
    return {name: np.asarray(values, dtype=float) for name, values in out.items()}


# --- the invoice's age ---------------------------------------------------------------------------

def still_open_share(paid_customer: np.ndarray, paid_delay: np.ndarray, q_customer: np.ndarray,
                     q_age: np.ndarray, prior: float = AGE_PRIOR) -> np.ndarray:
    """G_c(a): of customer c's invoices paid within the threshold, the share paid more than ``a``
    days after the due date, shrunk towards the same share over all customers:
    (n_c(delay > a) + prior × G(a)) / (n_c + prior), G(a) = (n(delay > a) + 1) / (n + 1) (never 0).
    ``paid_*`` describe the invoices paid within the threshold (customer code, paid − due);
    vectorized by sorting the delays per customer and two binary searches per query."""
    paid_customer = np.asarray(paid_customer, dtype=np.int64)
    paid_delay = np.asarray(paid_delay, dtype=np.int64)
    q_customer = np.asarray(q_customer, dtype=np.int64)
    q_age = np.asarray(q_age, dtype=np.int64)
    n = len(paid_delay)
    everyone = (np.sum(paid_delay[None, :] > q_age[:, None], axis=1) if n * len(q_age) <= 5_000_000
                else n - np.searchsorted(np.sort(paid_delay), q_age, side="right"))
    portfolio = (everyone + 1.0) / (n + 1.0)
    if not n:
        return portfolio
    lo = int(min(paid_delay.min(), q_age.min(initial=0))) - 1
    span = int(max(paid_delay.max(), q_age.max(initial=0))) - lo + 2
    key = np.sort(paid_customer * span + (paid_delay - lo))
    base = q_customer * span
    end = np.searchsorted(key, base + span, side="left")
    count = end - np.searchsorted(key, base, side="left")
    later = end - np.searchsorted(key, base + (np.clip(q_age, lo, lo + span - 1) - lo), side="right")
    return (later + prior * portfolio) / (count + prior)


def update_for_age(p: np.ndarray, still_open: np.ndarray) -> np.ndarray:
    """P(late | still open a days after the due date), a ≤ threshold, from P(late) at issue = p by
    Bayes' rule: a late invoice is always still open then, an on-time one with probability G(a), so
    P = p / (p + (1 − p) × G(a)). G(a) near 1 (not yet due) leaves p about unchanged; G(a) small
    (past the days this customer's on-time payments come in) moves it towards 1."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return p / np.maximum(p + (1.0 - p) * np.asarray(still_open, dtype=float), 1e-12)


def _age_check(y: np.ndarray, p: np.ndarray, delay: np.ndarray, due: np.ndarray, customer: np.ndarray,
               known: tuple[np.ndarray, np.ndarray], threshold: int) -> pd.DataFrame:
    """On the test period: for invoices still open AGE_CHECKS days after their due date, the mean
    probability at issue, the mean after :func:`update_for_age` (G from the training period only)
    and the share that was paid late."""
    rows = []
    for age in (a for a in AGE_CHECKS if a <= threshold):  # check ages, not invoices
        open_then = (y == 1) | (delay > age)
        if not open_then.any():
            continue
        g = still_open_share(known[0], known[1], customer[open_then], np.full(int(open_then.sum()), age))
        rows.append({"days_past_due": age, "invoices": int(open_then.sum()),
                     "at_issue": float(p[open_then].mean()),
                     "updated": float(update_for_age(p[open_then], g).mean()),
                     "observed": float(y[open_then].mean())})
    return pd.DataFrame(rows, columns=["days_past_due", "invoices", "at_issue", "updated", "observed"])


# --- the assessment ------------------------------------------------------------------------------

def _history_rows(ledger: Ledger, out: Outcomes, t: int, s: RiskSettings) -> np.ndarray:
    tl = timeline_of(ledger)
    start = int(tl.inv_day[out.eligible].min(initial=t))
    keep = (out.eligible & (tl.inv_day >= start + s.burn_in_days) & (tl.inv_day <= t)
            & (tl.due_day + s.threshold_days + 1 <= t))
    return np.flatnonzero(keep)


def _short(what: str, have: int, need: int) -> str:
    return f"{what}: {have:,} (needs at least {need:,})"


THRESHOLD_STEPS = (15, 1)
"""Shorter thresholds tried, in order, when the default one leaves too few late invoices."""


def assess_risk(ledger: Ledger, as_of: pd.Timestamp | str, settings: RiskSettings | None = None) -> RiskResult:
    """Fit, validate and score (module docstring). Never raises for too little data: the result is
    then unavailable, with the reason in words.

    A ledger where many invoices are paid a little late but few more than the default 30 days
    (too few "paid late" rows for an honest test) is assessed at the first of THRESHOLD_STEPS
    (15, then 1 day) that leaves enough, and the reason says which threshold was used and why
    (the result's settings carry it). A threshold other than the default, set in client.yaml, is
    never changed."""
    s = settings or RiskSettings()
    result = _assess_risk(ledger, as_of, s)
    if result.available or s.threshold_days != RiskSettings().threshold_days or "paid late" not in result.reason:
        return result
    for shorter in THRESHOLD_STEPS:
        stepped = _assess_risk(ledger, as_of, replace(s, threshold_days=shorter))
        if stepped.available:
            why = result.reason.split(" — ", 1)[-1]
            days = "day" if shorter == 1 else "days"
            return replace(stepped, reason=(
                f"Too few invoices were paid more than {s.threshold_days} days late for an honest test ({why}), so "
                f"here late means paid more than {shorter} {days} after the due date. {stepped.reason}"))
    return result


def _assess_risk(ledger: Ledger, as_of: pd.Timestamp | str, s: RiskSettings) -> RiskResult:
    """:func:`assess_risk` at the threshold of ``s``."""
    date = pd.Timestamp(as_of).normalize()
    if ledger.shape == "open_items":
        return unavailable("an open-items export lists only the invoices still open, so there is no payment "
                           "history to learn from; export the full ledger (paid invoices too) for risk scores",
                           date, s)
    started = time.perf_counter()
    tl = timeline_of(ledger)
    t = day_number(date)
    out = outcomes(ledger, s.threshold_days)
    rows = _history_rows(ledger, out, t, s)
    available_rows = len(rows)
    if len(rows) > s.max_history_rows:  # a seeded uniform sample: the fit and the test stay honest, and fast
        rows = np.sort(np.random.default_rng(s.seed).choice(rows, size=s.max_history_rows, replace=False))
    late = out.late[rows].astype(int)
    due = tl.due_day[rows]
    if len(rows) < s.min_train_rows + s.min_test_rows:
        return unavailable(f"too little settled history for an honest test — "
                           f"{_short('invoices with a known outcome', len(rows), s.min_train_rows + s.min_test_rows)}",
                           date, s)
    cutoff = int(np.quantile(due, 1 - s.test_share))
    train = due + s.threshold_days + 1 <= cutoff
    test = due > cutoff
    problems = []
    if train.sum() < s.min_train_rows:
        problems.append(_short("training invoices", int(train.sum()), s.min_train_rows))
    if test.sum() < s.min_test_rows:
        problems.append(_short("test invoices", int(test.sum()), s.min_test_rows))
    for name, mask in (("training", train), ("test", test)):
        for value, word in ((1, "paid late"), (0, "paid on time")):
            count = int((late[mask] == value).sum())
            if count < s.min_class_rows:
                problems.append(_short(f"{name} invoices {word}", count, s.min_class_rows))
    if problems:
        return unavailable("too little settled history for an honest test — " + "; ".join(problems), date, s)

    index = feature_index(ledger, s.threshold_days, out)  # the event histories, sorted once for both calls
    hist = features(ledger, rows, tl.inv_day[rows] - 1, s.threshold_days, index=index)
    X, y = hist.X, late
    v = _validate(X, y, due, train, test, out.paid_day[rows] - due, tl.customer[rows], s)

    # scoring at T: the used predictor refitted on every history row, updated for each invoice's age
    positions = _open_rows(ledger, out, t)
    undecided = positions[(t - tl.due_day[positions]) <= s.threshold_days]
    now_X = features(ledger, undecided, np.full(len(undecided), t), s.threshold_days, index=index).X
    now_X = now_X.reindex(columns=X.columns, fill_value=0.0)
    model = None
    if v.used == "baseline":
        p_now = now_X[BASELINE_FEATURE].to_numpy()
    else:
        model, p_now = _fit_predict(v.used, s.seed, X, y, now_X)
    in_time = y == 0
    g_now = still_open_share(tl.customer[rows][in_time], v.delay[in_time], tl.customer[undecided],
                             t - tl.due_day[undecided])
    invoices = _invoice_table(ledger, positions, undecided, p_now, update_for_age(p_now, g_now), t, v.used)
    drivers = _drivers(model, X, y, now_X, undecided, invoices, ledger) if model is not None else {}
    customers = _customer_table(ledger, invoices, out, t, s, drivers)
    elapsed = time.perf_counter() - started

    split = {"cutoff": pd.Timestamp(np.datetime64(cutoff, "D")), "history_rows": int(len(rows)),
             "train_rows": int(train.sum()), "test_rows": int(test.sum()),
             "train_late_share": float(y[train].mean()), "test_late_share": float(y[test].mean()),
             "first_due": pd.Timestamp(np.datetime64(int(due.min()), "D")),
             "last_due": pd.Timestamp(np.datetime64(int(due.max()), "D")),
             "auc_gain_low": v.auc_gain_low, "history_rows_available": int(available_rows),
             "sampled": bool(available_rows > len(rows))}
    reason = _decision(v.table, v.chosen, v.used, s)
    return RiskResult(True, reason, s, date, "baseline" if v.used == "baseline" else "model", MODEL_NAMES[v.used],
                      invoices, customers, v.table, v.calibration, split, elapsed, v.age_check)


@dataclass(frozen=True)
class _Validation:
    chosen: str                  # the candidate chosen on the training period
    used: str                    # chosen, or "baseline" when it did not beat the baseline
    table: pd.DataFrame          # RiskResult.validation
    calibration: pd.DataFrame
    age_check: pd.DataFrame
    auc_gain_low: float          # 2.5% quantile of the paired bootstrap AUC(chosen) − AUC(baseline)
    delay: np.ndarray            # paid − due of every history row (FAR − due when not paid)


def _validate(X: pd.DataFrame, y: np.ndarray, due: np.ndarray, train: np.ndarray, test: np.ndarray,
              delay: np.ndarray, customer: np.ndarray, s: RiskSettings) -> _Validation:
    """Steps 3–5 of the module docstring and the age-update check of step 6, on the history rows."""
    choice = _choose(X, y, due, train, s)
    chosen = min(choice, key=lambda k: (choice[k], k != "logistic")) if choice else "logistic"
    test_p = {"baseline": X.loc[test, BASELINE_FEATURE].to_numpy()}
    for kind in ("logistic", "boosting"):
        _, test_p[kind] = _fit_predict(kind, s.seed, X[train], y[train], X[test])
    y_test = y[test]
    boot = bootstrap_auc(y_test, test_p, s.bootstrap, s.seed)
    diff = boot[chosen] - boot["baseline"]
    gain_low = float(np.quantile(diff, 0.025)) if len(diff) else float("nan")
    beats = brier(y_test, test_p[chosen]) < brier(y_test, test_p["baseline"]) and gain_low > 0
    used = chosen if beats else "baseline"
    table = pd.DataFrame([{
        "predictor": MODEL_NAMES[name],
        "validation_brier": choice.get(name, np.nan),
        "auc": auc(y_test, p), "auc_low": float(np.quantile(boot[name], 0.025)),
        "auc_high": float(np.quantile(boot[name], 0.975)), "brier": brier(y_test, p),
        "chosen": name == chosen, "used": name == used,
    } for name, p in test_p.items()])
    calibration = _calibration(y_test, {MODEL_NAMES[chosen]: test_p[chosen], "baseline": test_p["baseline"]})
    in_time = train & (y == 0)
    age_check = _age_check(y_test, test_p[used], delay[test], due[test], customer[test],
                           (customer[in_time], delay[in_time]), s.threshold_days)
    return _Validation(chosen, used, table, calibration, age_check, gain_low, delay)


def _choose(X: pd.DataFrame, y: np.ndarray, due: np.ndarray, train: np.ndarray, s: RiskSettings
            ) -> dict[str, float]:
    """Mean validation Brier score of each candidate over rolling-origin folds inside the training
    period: fold k trains on the rows known at the k-th cut (due ≤ cut − threshold − 1) and validates
    on the rows due up to the next cut (cuts at the VALIDATION_CUTS quantiles of the training due
    dates). Empty when a fold lacks rows of either class."""
    cuts = [int(np.quantile(due[train], q)) for q in VALIDATION_CUTS] + [int(due[train].max())]
    folds = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        fit = train & (due + s.threshold_days + 1 <= lo)
        check = train & (due > lo) & (due <= hi)
        if min(fit.sum(), check.sum()) < s.min_class_rows or len(np.unique(y[fit])) < 2 or len(np.unique(y[check])) < 2:
            return {}
        folds.append((fit, check))
    out = {}
    for kind in ("logistic", "boosting"):
        out[kind] = float(np.mean([brier(y[check], _fit_predict(kind, s.seed, X[fit], y[fit], X[check])[1])
                                   for fit, check in folds]))
    return out


def _decision(validation: pd.DataFrame, chosen: str, used: str, s: RiskSettings) -> str:
    v = validation.set_index("predictor")
    m, b = v.loc[MODEL_NAMES[chosen]], v.loc["baseline"]
    head = (f"On invoices due after the cut-off, the {MODEL_NAMES[chosen]} model (chosen on the training period) "
            f"scored AUC {m['auc']:.2f} and Brier {m['brier']:.3f}; the baseline (each customer's past late share) "
            f"AUC {b['auc']:.2f}, Brier {b['brier']:.3f}. ")
    if used != "baseline":
        return head + "The model beats the baseline, so its probabilities are used."
    tail = "The model does not beat the baseline reliably, so the baseline's probabilities are used"
    if b["auc_high"] < 0.5:
        tail += (f"; the baseline ranked late payers below prompt ones on the test period (AUC interval "
                 f"{b['auc_low']:.2f}–{b['auc_high']:.2f}, below 0.5): the scores carry no usable information")
    elif b["auc_low"] <= 0.5:
        tail += (f"; the baseline itself barely separates late from prompt payers (AUC interval "
                 f"{b['auc_low']:.2f}–{b['auc_high']:.2f} includes 0.5): treat the scores as weak")
    return head + tail + "."


def _calibration(y: np.ndarray, predictions: Mapping[str, np.ndarray], bins: int = 10) -> pd.DataFrame:
    """Reliability points per predictor: mean predicted vs observed late share in quantile bins."""
    from sklearn.calibration import calibration_curve

    frames = []
    for name, p in predictions.items():
        observed, predicted = calibration_curve(y, np.clip(p, 0, 1), n_bins=bins, strategy="quantile")
        frames.append(pd.DataFrame({"predictor": name, "predicted": predicted, "observed": observed}))
    return pd.concat(frames, ignore_index=True)


def _open_rows(ledger: Ledger, out: Outcomes, t: int) -> np.ndarray:
    tl = timeline_of(ledger)
    return np.flatnonzero(out.eligible & (tl.inv_day <= t) & (out.settle_day > t))


def _invoice_table(ledger: Ledger, positions: np.ndarray, undecided: np.ndarray, p_issue: np.ndarray,
                   p_undecided: np.ndarray, t: int, used: str) -> pd.DataFrame:

    tl = timeline_of(ledger)
    balance = open_balance(ledger, pd.Timestamp(np.datetime64(t, "D")))[positions]
    p = pd.Series(1.0, index=positions)
    p[undecided] = np.clip(p_undecided, 0.0, 1.0)
    at_issue = pd.Series(1.0, index=positions)
    at_issue[undecided] = np.clip(p_issue, 0.0, 1.0)
    decided = ~np.isin(positions, undecided)
    inv = ledger.invoices.iloc[positions]
    names = customer_table(ledger)["customer_name"]
    return pd.DataFrame({
        "invoice_id": inv["invoice_id"].to_numpy(),
        "customer_id": inv["customer_id"].to_numpy(),
        "customer_name": inv["customer_id"].map(names).to_numpy(),
        "open_amount": np.round(balance, 2),
        "days_past_due": (t - tl.due_day[positions]).astype(np.int64),
        "probability": np.round(p.to_numpy(), 6),
        "probability_at_issue": np.round(at_issue.to_numpy(), 6),
        "basis": np.where(decided, "already late", "model" if used != "baseline" else "baseline"),
    })


def customer_history(ledger: Ledger, out: Outcomes, t: int) -> pd.DataFrame:
    """Per customer (index customer_id): past_invoices = its invoices whose outcome was known by T,
    past_late_share = (late + 2 × p) / (n + 2), p = the whole ledger's late share known by T (the
    baseline's formula, every known outcome counted)."""

    tl = timeline_of(ledger)
    known = out.eligible & (out.known_day <= t)
    n = np.bincount(tl.customer[known], minlength=len(tl.customer_ids))
    late = np.bincount(tl.customer[known], weights=out.late[known], minlength=len(tl.customer_ids))
    prior = late.sum() / max(n.sum(), 1)
    return pd.DataFrame({"past_invoices": n.astype(float), "past_late_share": (late + PRIOR_WEIGHT * prior)
                         / (n + PRIOR_WEIGHT)}, index=pd.Index(tl.customer_ids, name="customer_id"))


def _customer_table(ledger: Ledger, invoices: pd.DataFrame, out: Outcomes, t: int,
                    s: RiskSettings, drivers: Mapping[str, str]) -> pd.DataFrame:
    cols = ["customer_id", "customer_name", "segment", "invoices", "open_amount", "expected_late_amount", "score",
            "band", "already_late_share", "past_invoices", "past_late_share", "drivers"]
    w = invoices[invoices["open_amount"] > 0]
    if w.empty:
        return pd.DataFrame(columns=cols)
    w = w.assign(expected=w["open_amount"] * w["probability"])
    g = w.groupby("customer_id", sort=False).agg(customer_name=("customer_name", "first"),
                                                  invoices=("invoice_id", "size"),
                                                  open_amount=("open_amount", "sum"),
                                                  expected_late_amount=("expected", "sum"))
    g["score"] = (g["expected_late_amount"] / g["open_amount"]).clip(0, 1).round(4)
    g["band"] = pd.Categorical(np.where(g["score"] >= s.high_from, "high",
                                        np.where(g["score"] < s.low_below, "low", "medium")),
                               categories=list(BANDS), ordered=True)
    table = customer_table(ledger)
    g["segment"] = table["segment"].reindex(g.index).to_numpy()
    g = g.join(customer_history(ledger, out, t))
    late = w["open_amount"].where(w["basis"] == "already late", 0.0).groupby(w["customer_id"]).sum()
    g["already_late_share"] = (late / g["open_amount"]).reindex(g.index).fillna(0.0)
    undecided = w[w["basis"] != "already late"]
    lift = (undecided["open_amount"] * (undecided["probability"] - undecided["probability_at_issue"])
            ).groupby(undecided["customer_id"]).sum() / undecided.groupby("customer_id")["open_amount"].sum()
    g["age_lift"] = lift.reindex(g.index).fillna(0.0)
    g["oldest_undecided"] = undecided.groupby("customer_id")["days_past_due"].max().reindex(g.index)
    g["drivers"] = [_driver_words(row, drivers.get(c, ""), s) for c, row in zip(g.index, g.to_dict("records"))]
    g = g.reset_index()[cols]
    return g.sort_values(["score", "open_amount", "customer_id"], ascending=[False, False, True], ignore_index=True)


def _driver_words(row: Mapping[str, Any], model_words: str, s: RiskSettings) -> str:
    """What drives a customer's score, in words: the share of its open balance already more than
    the threshold late (probability 1), overdue invoices not yet that late when the age update
    raised their probability by a point or more (amount-weighted), then the model's drivers, or —
    with the baseline — its past late share."""
    parts = []
    if row["already_late_share"] > 0:
        parts.append(f"{row['already_late_share']:.0%} of the open balance already more than "
                     f"{s.threshold_days} days late")
    if row["already_late_share"] < 1:
        days = row["oldest_undecided"]
        if row["age_lift"] >= 0.01 and days > 0:
            parts.append(f"invoices up to {int(days)} day{'s' if days != 1 else ''} past due, "
                         f"not yet {s.threshold_days} days late")
        if model_words:
            parts.append(model_words)
        elif pd.notna(row.get("past_late_share")):
            parts.append(f"past late share {row['past_late_share']:.0%} of {int(row['past_invoices'] or 0):,} invoices")
    return "; ".join(parts)


def _feature_groups(columns: pd.Index) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault("segment" if c.startswith(SEGMENT_PREFIX) else c, []).append(c)
    return groups


#: Drivers are worked out for at most this many customers, the riskiest (highest score) first: the
#: reports show a few dozen; each feature's effect costs a prediction over their open invoices.
DRIVER_CUSTOMERS = 300


def _drivers(model: Any, X: pd.DataFrame, y: np.ndarray, now_X: pd.DataFrame, undecided: np.ndarray,
             invoices: pd.DataFrame, ledger: Ledger, top: int = 3) -> dict[str, str]:
    """customer_id → its top drivers in words (module docstring, step 8), for the
    :data:`DRIVER_CUSTOMERS` riskiest customers.

    A feature is named only when it raises the customer's probability (occlusion effect > 0.5
    points) *and* the customer's value lies on the risky side of the typical (training median)
    value, the risky side being where late invoices' mean lies (a segment: its late share above the
    whole ledger's). So an interaction the model learnt never reads as "a long history is a risk"."""
    from threadpoolctl import threadpool_limits

    if not len(undecided):
        return {}
    reference = X.median()
    segments = [c for c in X.columns if c.startswith(SEGMENT_PREFIX)]
    segment_mode = X[segments].mean().idxmax() if segments else None
    late = np.asarray(y, dtype=bool)
    direction = np.sign(X[late].mean() - X[~late].mean())
    ids = ledger.invoices["customer_id"].to_numpy()[undecided]
    amount = invoices.set_index("invoice_id").loc[ledger.invoices["invoice_id"].to_numpy()[undecided], "open_amount"]
    weight = np.maximum(amount.to_numpy(dtype=float), 0.0)
    # the riskiest customers by score (expected late / open, over all their open invoices)
    positive = invoices[invoices["open_amount"] > 0]
    score = ((positive["open_amount"] * positive["probability"]).groupby(positive["customer_id"]).sum()
             / positive.groupby("customer_id")["open_amount"].sum())
    chosen = set(score.sort_values(ascending=False, kind="stable").index[:DRIVER_CUSTOMERS])
    keep = np.isin(ids, list(chosen))
    if not keep.any():
        return {}
    ids, weight, rows_X = ids[keep], weight[keep], now_X[keep].reset_index(drop=True)
    groups = _feature_groups(X.columns)
    effects = np.empty((len(rows_X), len(groups)))
    with threadpool_limits(limits=1):  # see _fit_predict
        base = model.predict_proba(rows_X.to_numpy())[:, 1]
        for k, (name, cols) in enumerate(groups.items()):  # features, not rows
            alt = rows_X.copy()
            if name == "segment":
                alt[cols] = 0.0
                if segment_mode is not None:
                    alt[segment_mode] = 1.0
            else:
                alt[cols] = reference[cols].to_numpy()
            effects[:, k] = base - model.predict_proba(alt.to_numpy())[:, 1]
    names = list(groups)
    code, customers = pd.factorize(ids)
    w = weight + 1e-9
    weighted = effects * w[:, None]
    per_customer = np.zeros((len(customers), len(names)))
    np.add.at(per_customer, code, weighted)
    per_customer /= np.bincount(code, weights=w, minlength=len(customers))[:, None]
    # the row (invoice) where each feature raised the probability most, per customer: its value is shown
    strongest = np.zeros((len(customers), len(names)), dtype=np.int64)
    for k in range(len(names)):
        rank = np.lexsort((np.arange(len(code)), -weighted[:, k], code))  # per customer, largest first
        first = np.concatenate([[True], code[rank][1:] != code[rank][:-1]])
        strongest[code[rank][first], k] = rank[first]
    values = rows_X.to_numpy()
    column = {c: j for j, c in enumerate(rows_X.columns)}
    seg_cols = [column[c] for c in segments]
    seg_dir = direction[segments].to_numpy() if segments else np.zeros(0)
    out: dict[str, str] = {}
    for i, customer in enumerate(customers):  # customers with open invoices, at most DRIVER_CUSTOMERS
        texts = []
        for k in np.argsort(-per_customer[i], kind="stable"):
            if per_customer[i, k] <= 0.005:
                break
            name, row = names[k], strongest[i, k]
            if name == "segment":
                risky = (values[row, seg_cols] * seg_dir).sum() > 0
            else:
                risky = (values[row, column[name]] - reference[name]) * direction[name] > 0
            if risky:
                texts.append(_driver_text(name, rows_X.iloc[row], reference, ledger.currency))
            if len(texts) == top:
                break
        out[customer] = "; ".join(texts)
    return out


def _shown(name: str, value: float, currency: str) -> str:
    """A feature value in its own units (the features store some as logs)."""
    if name == "overdue_balance":
        return money_text(np.expm1(value), currency)
    if name == "hist_invoices":
        return f"{np.expm1(value):,.0f}"
    if name in ("hist_late_share", "dispute_share", "overdue_share"):
        return f"{value:.0%}"
    if name == "amount_vs_usual":
        return f"×{np.exp(value):.1f}"
    if name == "days_late_trend":
        return f"{value:+,.0f} days"
    return f"{value:,.0f}"


def _driver_text(name: str, values: pd.Series, reference: pd.Series, currency: str = "") -> str:
    """'overdue balance 45,300 EUR (typical 0 EUR)': the customer's value at T beside the typical one."""
    label = FEATURE_LABELS.get(name, name)
    if name == "segment":
        seg = [c[len(SEGMENT_PREFIX):] for c in values.index if c.startswith(SEGMENT_PREFIX) and values[c] == 1]
        return f"{label} {seg[0] if seg else 'unknown'}"
    return f"{label} {_shown(name, values[name], currency)} (typical {_shown(name, reference[name], currency)})"
