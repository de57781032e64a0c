"""Late-payment risk (arassess.risk.model) on synthetic ledgers whose truth is known.

The generator draws ~100 customers and ~4,700 invoices over two years (seeded numpy) and decides
for every invoice whether it is paid late (more than 30 days after its due date) before drawing its
payment date; payments after the as-of date T are blanked (the invoice is open at T).

- ``planted``: lateness depends on what the model sees beyond a customer's constant late share:
  10 *chronic* customers pay 65% of invoices late; 15 *deteriorating* customers pay 4% late until a
  turning date (day 200–640) and 90% after it (their overdue balance and oldest overdue item then
  grow); an invoice 4–8× the customer's usual size (7% of invoices) is paid late with
  probability ≥ 0.8. Everyone else pays 6% late.
- ``noise``: every invoice is late with probability 0.2, independently of customer, amount,
  terms, segment and time: nothing can beat the customer's own late share (whose AUC is 0.5).
- ``on_time``: nothing is ever late.

On-time payers pay from 5 days early to 20 days after the due date; late payers 31 + Exp(30) days
after it. Each ledger is fitted once per module (a fit takes 1–4 s).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from arassess.config.risk import RiskSettings, risk_settings
from arassess.errors import ConfigError
from arassess.inputs.intake import ledger_from_frames
from arassess.ledger.model import Ledger
from arassess.risk.model import (
    RiskResult,
    _decision,
    assess_risk,
    bootstrap_auc,
    rank_auc,
    still_open_share,
    update_for_age,
)

START = pd.Timestamp("2023-01-02")
DAYS = 730
T = START + pd.Timedelta(days=DAYS)          # the as-of date: invoices are issued up to T
ON_TIME_MAX = 20                             # on-time payers pay at most this many days after due
BIG = 3.0                                    # "big" invoice: more than 3× the customer's median amount


# --- the synthetic ledgers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Synthetic:
    invoices: pd.DataFrame       # canonical invoices as of T (paid_date blank when paid after T)
    customers: pd.DataFrame
    truth: pd.DataFrame          # invoice_id → late (the full future), group, big
    ledger: Ledger


@functools.lru_cache(maxsize=None)
def synthetic(kind: str, seed: int, n_customers: int = 100) -> Synthetic:
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:03d}" for i in range(n_customers)])
    customers = pd.DataFrame({"customer_id": ids, "name": [f"Customer {i}" for i in range(n_customers)],
                              "segment": rng.choice(["retail", "wholesale", "public"], n_customers)})
    group = np.full(n_customers, "steady", dtype=object)
    if kind == "planted":
        order = rng.permutation(n_customers)
        group[order[:10]] = "chronic"
        group[order[10:25]] = "deteriorating"
    turn = rng.integers(200, DAYS - 90, n_customers)
    usual = np.exp(rng.normal(7.5, 0.8, n_customers))
    terms = rng.choice([14, 30, 45, 60], n_customers)
    parts = []
    for c in range(n_customers):
        k = int(rng.integers(25, 70))
        issued = np.sort(rng.integers(0, DAYS + 1, k))
        big = rng.random(k) < 0.07
        amount = np.round(usual[c] * np.exp(rng.normal(0, 0.25, k)) * np.where(big, rng.uniform(4, 8, k), 1.0), 2)
        if kind == "planted":
            p = {"chronic": np.full(k, 0.65), "deteriorating": np.where(issued >= turn[c], 0.9, 0.04),
                 "steady": np.full(k, 0.06)}[group[c]]
            p = np.where(big, np.maximum(p, 0.8), p)
        elif kind == "noise":
            p = np.full(k, 0.2)
        else:
            p = np.zeros(k)
        late = rng.random(k) < p
        delay = np.where(late, 31 + np.floor(rng.exponential(30, k)), rng.integers(-5, ON_TIME_MAX + 1, k))
        due = issued + terms[c]
        paid = np.maximum(due + delay, issued)
        parts.append(pd.DataFrame({"invoice_id": [f"I{c:03d}-{i:03d}" for i in range(k)], "customer_id": ids[c],
                                   "issued": issued, "due": due, "amount": amount, "paid": paid, "late": late,
                                   "group": group[c]}))
    df = pd.concat(parts, ignore_index=True)
    df["big"] = df["amount"] > BIG * df.groupby("customer_id")["amount"].transform("median")
    day = lambda offsets: START + pd.to_timedelta(offsets, unit="D")  # noqa: E731
    invoices = pd.DataFrame({"invoice_id": df["invoice_id"], "customer_id": df["customer_id"],
                             "invoice_date": day(df["issued"]), "due_date": day(df["due"]),
                             "amount": df["amount"].astype(float), "paid_date": day(df["paid"])})
    invoices.loc[invoices["paid_date"] > T, "paid_date"] = pd.NaT
    truth = df.set_index("invoice_id")[["customer_id", "late", "group", "big"]]
    return Synthetic(invoices, customers, truth, ledger_from_frames(invoices, None, customers))


@functools.lru_cache(maxsize=None)
def fitted(kind: str, seed: int, settings: RiskSettings = RiskSettings()) -> RiskResult:
    return assess_risk(synthetic(kind, seed).ledger, T, settings)


def open_at_t(syn: Synthetic) -> pd.DataFrame:
    """Open invoices at T computed from the frames (no partial payments, no write-offs here)."""
    inv = syn.invoices
    out = inv[inv["paid_date"].isna() & (inv["invoice_date"] <= T)].copy()
    out["dpd"] = (T - out["due_date"]).dt.days
    return out


def vrow(result: RiskResult, predictor: str) -> pd.Series:
    return result.validation.set_index("predictor").loc[predictor]


def used_row(result: RiskResult) -> pd.Series:
    v = result.validation
    assert v["used"].sum() == 1, v
    return v[v["used"]].iloc[0]


@pytest.fixture(scope="module")
def planted() -> tuple[Synthetic, RiskResult]:
    return synthetic("planted", 1), fitted("planted", 1)


NOISE_SEEDS = [1, 2, 4]


@pytest.fixture(scope="module", params=NOISE_SEEDS, ids=[f"seed{s}" for s in NOISE_SEEDS])
def noise(request) -> tuple[Synthetic, RiskResult]:
    return synthetic("noise", request.param), fitted("noise", request.param)


@pytest.fixture(scope="module")
def noise_one() -> tuple[Synthetic, RiskResult]:
    return synthetic("noise", 1), fitted("noise", 1)


# --- 1. planted late payers -----------------------------------------------------------------------

def test_planted_ledger_is_the_size_the_tests_assume(planted):
    syn, _ = planted
    assert 4000 <= len(syn.invoices) <= 6000 and syn.invoices["customer_id"].nunique() == 100
    assert 0.1 < syn.truth["late"].mean() < 0.35


def test_planted_model_is_used_and_beats_the_baseline(planted):
    _, r = planted
    assert r.available and r.used == "model", r.reason
    assert r.model_name in ("logistic regression", "gradient boosting")
    assert "The model beats the baseline" in r.reason
    m, b = vrow(r, r.model_name), vrow(r, "baseline")
    assert bool(m["used"]) and bool(m["chosen"]) and not bool(b["used"])
    assert m["auc"] > 0.75 and m["auc_low"] > 0.6, r.validation
    assert m["auc"] > b["auc"] + 0.05, r.validation
    assert m["brier"] < b["brier"], r.validation
    assert r.split["auc_gain_low"] > 0
    assert r.split["train_rows"] >= 400 and r.split["test_rows"] >= 150


def planted_at_t(syn: Synthetic, r: RiskResult) -> tuple[pd.DataFrame, set]:
    """Undecided open invoices at T with their truth, and the customers planted as late payers
    among those having one: chronic, deteriorating, or with a big undecided invoice."""
    und = r.invoices[r.invoices["basis"] == "model"].join(syn.truth[["group", "big"]], on="invoice_id")
    planted = und.loc[(und["group"] != "steady") | und["big"], "customer_id"]
    return und, set(planted)


def test_planted_late_payers_rank_at_the_top(planted):
    syn, r = planted
    und, late_payers = planted_at_t(syn, r)
    k = len(late_payers)
    assert k >= 20
    top = r.customers.head(k)["customer_id"]
    assert top.isin(late_payers).mean() >= 0.75, (k, top.isin(late_payers).sum())
    # the same from the model's probabilities alone (without the already-late items, whose p is 1)
    mean_p = und.groupby("customer_id")["probability"].mean().sort_values(ascending=False)
    assert mean_p.head(k).index.isin(list(late_payers)).mean() >= 0.8
    is_planted = und["customer_id"].isin(late_payers)
    assert und.loc[is_planted, "probability"].mean() > und.loc[~is_planted, "probability"].mean() + 0.3
    assert roc_auc_score((und["group"] != "steady") | und["big"], und["probability"]) > 0.85


def test_planted_model_sees_beyond_the_customers_late_share(planted):
    """Big invoices of otherwise prompt customers and deteriorating customers get probabilities
    well above their past late share (the baseline), prompt customers' usual invoices do not."""
    syn, r = planted
    und, _ = planted_at_t(syn, r)
    und = und.join(r.customers.set_index("customer_id")["past_late_share"], on="customer_id")
    steady_big = und[(und["group"] == "steady") & und["big"]]
    steady_usual = und[(und["group"] == "steady") & ~und["big"]]
    deteriorating = und[und["group"] == "deteriorating"]
    assert len(steady_big) >= 10 and len(deteriorating) >= 20
    assert steady_big["probability"].mean() > 0.5 > 0.2 > steady_big["past_late_share"].mean()
    assert steady_usual["probability"].mean() < 0.3
    assert deteriorating["probability"].mean() > deteriorating["past_late_share"].mean() + 0.15
    # the first model driver of a prompt customer with a big undecided invoice is the invoice size
    words = r.customers.set_index("customer_id").loc[steady_big["customer_id"].unique(), "drivers"]
    assert len(words) >= 10
    assert words.map(lambda w: model_drivers(w)[0]).str.startswith("invoice size vs the customer's usual").all(), words


def test_invoice_size_driver_shows_the_big_invoice(planted):
    syn, r = planted
    und, _ = planted_at_t(syn, r)
    with_big = und.loc[(und["group"] == "steady") & und["big"], "customer_id"].unique()
    words = r.customers.set_index("customer_id").loc[with_big, "drivers"]
    shown = words.str.extract(r"invoice size vs the customer's usual ×([0-9.]+) \(typical")[0].dropna().astype(float)
    assert len(shown) >= 10
    # the value shown is the big invoice's (before the fix: the first open invoice's, often ×1 or less);
    # "usual" is the geometric mean of the customer's other invoices, earlier big ones included
    assert (shown >= 2.5).all() and shown.median() >= BIG, shown.sort_values().to_dict()


AGE_WORDS = re.compile(r"^invoices up to \d+ days? past due, not yet \d+ days late$")
LATE_WORDS = re.compile(r"^\d+% of the open balance already more than \d+ days late$")


def model_drivers(words: str) -> list[str]:
    """The parts of a drivers text after the already-late share and the age update."""
    return [p for p in words.split("; ") if not AGE_WORDS.match(p) and not LATE_WORDS.match(p)]


# --- 2. pure noise: the fallback --------------------------------------------------------------------

def test_noise_falls_back_to_the_baseline_and_claims_no_skill(noise):
    _, r = noise
    assert r.available and r.used == "baseline" and r.model_name == "baseline", r.reason
    assert "does not beat the baseline" in r.reason
    row = used_row(r)
    assert row["predictor"] == "baseline"
    assert row["auc_low"] <= 0.5 <= row["auc_high"], r.validation
    assert r.split["auc_gain_low"] <= 0
    assert set(r.invoices["basis"]) <= {"baseline", "already late"}
    for words in r.customers["drivers"]:
        rest = model_drivers(words)
        assert rest == [] or (len(rest) == 1 and re.match(r"^past late share \d+% of \d+ invoices$", rest[0])), words


def test_noise_baseline_probability_is_the_customers_smoothed_late_share(noise):
    """Recomputed from the frames: (late + 2p) / (n + 2) over the customer's invoices whose outcome
    is known at T, p = the whole ledger's late share known at T."""
    syn, r = noise
    inv = syn.invoices
    limit = inv["due_date"] + pd.Timedelta(days=30)
    on_time = inv["paid_date"].notna() & (inv["paid_date"] <= limit) & (inv["paid_date"] <= T)
    late = ~(inv["paid_date"].notna() & (inv["paid_date"] <= limit)) & (limit + pd.Timedelta(days=1) <= T)
    known = on_time | late
    p = late.sum() / known.sum()
    per = pd.DataFrame({"c": inv["customer_id"], "n": known, "late": late}).groupby("c").sum()
    expected = (per["late"] + 2 * p) / (per["n"] + 2)
    und = r.invoices[r.invoices["basis"] == "baseline"]
    assert len(und) > 100
    np.testing.assert_allclose(und["probability_at_issue"], und["customer_id"].map(expected), atol=1e-6)
    assert (und["probability"] >= und["probability_at_issue"] - 1e-9).all()   # the age update only raises it
    # the customers table counts every outcome known at T, whichever of its invoices is open
    c = r.customers.set_index("customer_id")
    np.testing.assert_allclose(c["past_late_share"], expected.loc[c.index], atol=1e-9)
    assert (c["past_invoices"] == per["n"].loc[c.index]).all()


# --- 3. reproducibility ------------------------------------------------------------------------------

def test_two_runs_on_the_same_ledger_are_identical(planted):
    syn, first = planted
    second = assess_risk(syn.ledger, T)                # not the cache: a second fit
    assert second.used == first.used == "model"
    for name in ("invoices", "customers", "validation", "calibration"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True, obj=name)
    assert first.reason == second.reason and dict(first.split) == dict(second.split)


def test_a_history_above_the_cap_is_fitted_on_a_seeded_sample_close_to_the_full_fit(planted):
    """The stated tolerance (arassess.risk.model, step 1): the whole history's test AUC of the predictor the
    sampled fit uses lies inside the sampled fit's 95% interval, and their Brier scores differ by at
    most 0.01 (held for ten seeds out of ten when this test was written; two are checked here)."""
    syn, full = planted
    assert not full.split["sampled"] and full.split["history_rows"] > 3000
    capped = RiskSettings(max_history_rows=2500)
    first, second = assess_risk(syn.ledger, T, capped), assess_risk(syn.ledger, T, capped)
    assert first.split["sampled"] and first.split["history_rows"] == 2500
    assert first.split["history_rows_available"] == full.split["history_rows"]
    for name in ("invoices", "customers", "validation"):  # seeded: the same sample, the same fit
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True, obj=name)
    other = assess_risk(syn.ledger, T, RiskSettings(max_history_rows=2500, seed=2))
    assert not other.validation["auc"].equals(first.validation["auc"])  # the seed does choose the sample
    for r in (first, other):
        got, ref = used_row(r), vrow(full, used_row(r)["predictor"])
        assert got["auc_low"] <= ref["auc"] <= got["auc_high"], (r.validation, full.validation)
        assert abs(got["brier"] - ref["brier"]) <= 0.01, (r.validation, full.validation)


# --- 4. unavailable, with the reason in words --------------------------------------------------------

def test_open_items_export_is_unavailable():
    syn = synthetic("noise", 1)
    open_now = open_at_t(syn).drop(columns=["dpd", "paid_date"])
    ledger = ledger_from_frames(open_now.assign(open_amount=open_now["amount"]), None, syn.customers,
                                shape="open_items", as_of=T)
    r = assess_risk(ledger, T)
    assert not r.available and r.used == ""
    assert "open-items export" in r.reason and "no payment history" in r.reason
    assert r.invoices.empty and r.customers.empty and r.probability().empty
    assert r.band_counts()["customers"].sum() == 0 and np.isnan(r.fit_seconds)


def test_tiny_ledger_is_unavailable_and_names_the_counts():
    syn = synthetic("noise", 1)
    inv = syn.invoices[syn.invoices["customer_id"].isin(["C000", "C001", "C002"])]
    r = assess_risk(ledger_from_frames(inv, None, syn.customers), T)
    # history rows by hand: issued ≥ first invoice + 90 days and due + 31 ≤ T
    rows = ((inv["invoice_date"] >= inv["invoice_date"].min() + pd.Timedelta(days=90))
            & (inv["due_date"] + pd.Timedelta(days=31) <= T)).sum()
    assert 0 < rows < 550
    assert not r.available
    assert f"invoices with a known outcome: {rows:,} (needs at least 550)" in r.reason, r.reason
    assert r.reason.startswith("too little settled history")


def test_a_threshold_set_for_the_client_with_no_late_invoices_is_unavailable():
    r = fitted("on_time", 1, RiskSettings(threshold_days=45))   # nobody pays more than 20 days late
    assert not r.available
    assert "training invoices paid late: 0 (needs at least 25)" in r.reason, r.reason
    assert "test invoices paid late: 0 (needs at least 25)" in r.reason
    assert "paid on time:" not in r.reason          # those are plentiful


def test_too_few_late_at_the_default_threshold_steps_to_a_shorter_one_and_says_so():
    """Every invoice is paid within 20 days of its due date: none is late at 30 days, many at 15."""
    r = fitted("on_time", 1)
    assert r.available and r.settings.threshold_days == 15
    assert r.reason.startswith("Too few invoices were paid more than 30 days late for an honest test "
                               "(training invoices paid late: 0 (needs at least 25)"), r.reason
    assert "so here late means paid more than 15 days after the due date." in r.reason
    assert r.summary()["threshold_days"] == 15
    invoices = synthetic("on_time", 1).invoices
    assert (invoices["paid_date"] - invoices["due_date"]).dt.days.max() <= ON_TIME_MAX  # the premise


# --- 5. already-late invoices, customer scores and bands ---------------------------------------------

def check_open_invoices(syn: Synthetic, r: RiskResult, threshold: int) -> None:
    expected = open_at_t(syn).set_index("invoice_id")
    got = r.invoices.set_index("invoice_id")
    assert set(got.index) == set(expected.index)
    assert (got["days_past_due"] == expected.loc[got.index, "dpd"]).all()
    np.testing.assert_allclose(got["open_amount"], expected.loc[got.index, "amount"])
    already = got["days_past_due"] > threshold
    assert already.any() and (~already).any()
    assert (got.loc[already, "basis"] == "already late").all()
    assert (got.loc[already, "probability"] == 1.0).all()
    assert (got.loc[~already, "basis"] != "already late").all()
    assert got.loc[~already, "probability"].between(0, 1).all() and (got.loc[~already, "probability"] < 1).all()
    # truth: every invoice already late is paid more than 30 days late in the full history
    if threshold >= 30:
        assert syn.truth.loc[got.index[already], "late"].all()


def check_customers(r: RiskResult) -> None:
    s = r.settings
    w = r.invoices[r.invoices["open_amount"] > 0]
    open_amount = w.groupby("customer_id")["open_amount"].sum()
    expected_late = (w["open_amount"] * w["probability"]).groupby(w["customer_id"]).sum()
    c = r.customers.set_index("customer_id")
    assert set(c.index) == set(open_amount.index)
    np.testing.assert_allclose(c.loc[open_amount.index, "open_amount"], open_amount, rtol=1e-9)
    np.testing.assert_allclose(c.loc[open_amount.index, "expected_late_amount"], expected_late, rtol=1e-6)
    np.testing.assert_allclose(c.loc[open_amount.index, "score"], expected_late / open_amount, atol=5e-5)
    assert (c["invoices"] == w.groupby("customer_id").size().loc[c.index]).all()
    band = np.where(c["score"] >= s.high_from, "high", np.where(c["score"] < s.low_below, "low", "medium"))
    assert (c["band"].astype(str).to_numpy() == band).all()
    assert r.customers["score"].is_monotonic_decreasing
    counts = r.band_counts().set_index("band")
    assert counts["customers"].sum() == len(c)
    for b in ("low", "medium", "high"):
        assert counts.loc[b, "customers"] == (band == b).sum()
    assert (r.high_risk()["band"] == "high").all() and len(r.high_risk()) == (band == "high").sum()
    # a customer all of whose open invoices are already late scores 1, and says so
    all_late = r.invoices.groupby("customer_id")["basis"].agg(lambda b: (b == "already late").all())
    for customer in all_late[all_late].index.intersection(c.index):
        assert c.loc[customer, "score"] == 1.0
        assert c.loc[customer, "drivers"] == "100% of the open balance already more than 30 days late"


def test_already_late_invoices_and_scores_with_the_baseline(noise_one):
    syn, r = noise_one
    check_open_invoices(syn, r, 30)
    check_customers(r)
    assert set(r.customers["band"]) == {"low", "medium", "high"}


def test_already_late_invoices_and_scores_with_the_model(planted):
    syn, r = planted
    check_open_invoices(syn, r, 30)
    check_customers(r)
    assert set(r.invoices["basis"]) == {"model", "already late"}
    assert r.probability().index.is_unique and len(r.probability()) == len(r.invoices)


def test_threshold_days_decides_what_is_already_late(noise_one):
    syn, default = noise_one
    s = RiskSettings(threshold_days=60, low_below=0.1, high_from=0.3)
    r = fitted("noise", 1, s)
    assert r.available, r.reason
    check_open_invoices(syn, r, 60)
    check_customers(r)                                  # bands with the other limits
    between = default.invoices["days_past_due"].between(31, 60)
    moved = default.invoices.loc[between, "invoice_id"]
    assert len(moved) >= 5
    assert (default.invoices.loc[between, "basis"] == "already late").all()
    now = r.invoices.set_index("invoice_id").loc[moved]
    assert (now["basis"] == "baseline").all() and (now["probability"] < 1).all()
    # a later threshold makes fewer history invoices late
    assert r.split["train_late_share"] < default.split["train_late_share"]


def test_undecided_probability_accounts_for_time_already_past_due(noise_one):
    """On-time payers in this ledger pay at most 20 days after the due date: an invoice still open
    21–30 days after it *will* be late. P(late | unpaid at T) should be near 1 for them, and their
    probabilities should at least exceed those of invoices not yet due."""
    syn, r = noise_one
    und = r.invoices[r.invoices["basis"] != "already late"]
    overdue = und[und["days_past_due"] > ON_TIME_MAX]
    not_due = und[und["days_past_due"] <= 0]
    assert len(overdue) >= 10
    assert syn.truth.loc[overdue["invoice_id"], "late"].all()
    assert overdue["probability"].mean() > 0.5
    assert overdue["probability"].mean() > not_due["probability"].mean() + 0.2


# --- the decision's words ----------------------------------------------------------------------------

def validation_frame(auc_low: float, auc_high: float) -> pd.DataFrame:
    return pd.DataFrame([
        {"predictor": "baseline", "validation_brier": np.nan, "auc": (auc_low + auc_high) / 2, "auc_low": auc_low,
         "auc_high": auc_high, "brier": 0.167, "chosen": False, "used": True},
        {"predictor": "gradient boosting", "validation_brier": 0.16, "auc": 0.47, "auc_low": 0.43,
         "auc_high": 0.51, "brier": 0.160, "chosen": True, "used": False}])


def test_decision_words_for_an_interval_around_one_half():
    reason = _decision(validation_frame(0.46, 0.54), "boosting", "baseline", RiskSettings())
    assert "does not beat the baseline reliably" in reason
    assert "AUC interval 0.46–0.54 includes 0.5" in reason


def test_decision_words_for_an_interval_below_one_half():
    reason = _decision(validation_frame(0.41, 0.49), "boosting", "baseline", RiskSettings())
    claimed = re.search(r"AUC interval ([0-9.]+)–([0-9.]+) includes 0\.5", reason)
    assert claimed is None or float(claimed[1]) <= 0.5 <= float(claimed[2]), reason


# --- 6. settings -----------------------------------------------------------------------------------

def test_settings_defaults_and_values():
    assert risk_settings(None) == RiskSettings() == risk_settings({})
    s = risk_settings({"threshold_days": 45, "low_below": 0, "high_from": 1, "test_share": 0.5, "bootstrap": 50})
    assert (s.threshold_days, s.low_below, s.high_from, s.test_share, s.bootstrap) == (45, 0.0, 1.0, 0.5, 50)
    assert isinstance(s.low_below, float) and isinstance(s.high_from, float)
    assert risk_settings({"low_below": 0.4, "high_from": 0.4}).low_below == 0.4   # equal is allowed


@pytest.mark.parametrize("raw, key", [
    ({"threshold": 30}, "threshold"),
    ({"seed": 1, "colour": "red"}, "colour"),
    ({"threshold_days": 0}, "threshold_days"),
    ({"threshold_days": 366}, "threshold_days"),
    ({"threshold_days": 30.0}, "threshold_days"),
    ({"threshold_days": "30"}, "threshold_days"),
    ({"threshold_days": True}, "threshold_days"),
    ({"min_train_rows": 49}, "min_train_rows"),
    ({"min_test_rows": 19}, "min_test_rows"),
    ({"min_class_rows": 4}, "min_class_rows"),
    ({"burn_in_days": -1}, "burn_in_days"),
    ({"seed": -1}, "seed"),
    ({"bootstrap": 49}, "bootstrap"),
    ({"bootstrap": 10_001}, "bootstrap"),
    ({"low_below": -0.1}, "low_below"),
    ({"high_from": 1.5}, "high_from"),
    ({"high_from": "0.5"}, "high_from"),
    ({"low_below": False}, "low_below"),
    ({"test_share": 0.05}, "test_share"),
    ({"test_share": 0.6}, "test_share"),
    ({"low_below": 0.6}, "low_below"),                  # above the default high_from 0.5
    ({"low_below": 0.3, "high_from": 0.2}, "low_below"),
])
def test_bad_settings_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=rf"risk\.{key}\b") as info:
        risk_settings(raw, where="clients/acme/client.yaml")
    assert "clients/acme/client.yaml" in str(info.value)


def test_low_below_above_high_from_names_both():
    with pytest.raises(ConfigError, match=r"risk\.low_below .*must not exceed risk\.high_from"):
        risk_settings({"low_below": 0.7, "high_from": 0.6})


# --- 7. AUC helpers --------------------------------------------------------------------------------

def test_rank_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(11)
    y = (rng.random((8, 300)) < rng.uniform(0.05, 0.6, (8, 1))).astype(int)
    p = np.round(rng.random((8, 300)) * 0.5 + 0.4 * y * rng.random((8, 1)), 1)   # few values: many ties
    assert len(np.unique(p)) < 15
    got = rank_auc(y, p)
    expected = [roc_auc_score(y[i], p[i]) for i in range(len(y))]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.ptp(expected) > 0.1                          # the rows do differ
    # one row, 1-D input; a row with one class only is NaN
    np.testing.assert_allclose(rank_auc(y[0], p[0]), [expected[0]], atol=1e-12)
    assert np.isnan(rank_auc(np.zeros((1, 20)), rng.random((1, 20)))).all()


def test_bootstrap_auc_is_seeded_and_paired():
    rng = np.random.default_rng(5)
    y = (rng.random(200) < 0.1).astype(int)
    preds = {"a": rng.random(200) + y * 0.3, "b": np.round(rng.random(200), 1)}
    one = bootstrap_auc(y, preds, 300, seed=7)
    two = bootstrap_auc(y, preds, 300, seed=7)
    other = bootstrap_auc(y, preds, 300, seed=8)
    for name in preds:
        np.testing.assert_array_equal(one[name], two[name])
        assert not np.array_equal(one[name], other[name])
        assert np.isfinite(one[name]).all() and len(one[name]) == len(one["a"]) <= 300
    # paired: resample k of each predictor uses the same rows; check resample 0 by hand
    take = np.random.default_rng(7).integers(0, 200, (300, 200))
    both = np.flatnonzero([y[t].min() == 0 and y[t].max() == 1 for t in take])
    first = take[both[0]]
    for name, p in preds.items():
        assert one[name][0] == pytest.approx(roc_auc_score(y[first], p[first]), abs=1e-12)


def test_bootstrap_auc_drops_resamples_with_one_class():
    y = np.zeros(30, dtype=int)
    y[0] = 1                                               # one late row: many resamples miss it
    out = bootstrap_auc(y, {"a": np.linspace(0, 1, 30)}, 200, seed=3)
    assert 0 < len(out["a"]) < 200 and np.isfinite(out["a"]).all()


# --- the age update --------------------------------------------------------------------------------

def test_still_open_share_on_a_hand_checked_example():
    # in-time payments (customer code, paid − due): customer 0 at −5, 0, 10, 25 days; customer 1 at 2
    customer, delay = np.array([0, 0, 0, 0, 1]), np.array([-5, 0, 10, 25, 2])
    g = still_open_share(customer, delay, np.array([0, 0, 1, 2]), np.array([5, 26, 5, 5]), prior=5)
    # portfolio G(5) = (2 later + 1) / (5 + 1) = 0.5; G(26) = (0 + 1) / 6
    # customer 0 at 5: (2 + 5 × 0.5) / (4 + 5) = 0.5; at 26: (0 + 5/6) / 9; customer 1 at 5: (0 + 2.5) / 6;
    # customer 2 has no history: the portfolio's 0.5
    np.testing.assert_allclose(g, [0.5, (5 / 6) / 9, 2.5 / 6, 0.5])


@pytest.mark.parametrize("p, g, expected", [(0.2, 1.0, 0.2), (0.2, 0.25, 0.5), (0.5, 0.0, 1.0), (0.0, 0.3, 0.0),
                                            (1.0, 0.3, 1.0)])
def test_update_for_age_is_bayes_rule(p, g, expected):
    # P(late | open at a) = p / (p + (1 − p) G(a)): 0.2 / (0.2 + 0.8 × 0.25) = 0.5
    assert update_for_age(np.array([p]), np.array([g]))[0] == pytest.approx(expected)


def test_the_age_update_is_checked_on_the_test_period_and_helps(planted):
    _, r = planted
    check = r.age_check.set_index("days_past_due")
    assert list(check.index) == [0, 10, 20]
    assert check["invoices"].is_monotonic_decreasing                  # fewer invoices are still open later
    assert check["observed"].is_monotonic_increasing                  # and more of them end up late
    late = check.loc[20]
    assert abs(late["updated"] - late["observed"]) < abs(late["at_issue"] - late["observed"])
    assert abs(late["updated"] - late["observed"]) < 0.1
