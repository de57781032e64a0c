"""The KPIs of docs/kpis.md written independently in DuckDB SQL: a reference for arassess.

Used by ``tests/kpi/test_duckdb_reference.py`` (agreement) and ``bench/kpi_engine.py``
(speed). It starts from the canonical frames of a ledger (the
``invoices`` and ``payments`` of :class:`arassess.ledger.model.Ledger`) registered in
a DuckDB connection, and computes every KPI at any set of as-of dates in one
query. Nothing here uses arassess's timeline or measures.

Definitions (as of T, window N days), as docs/kpis.md and the arassess
docstrings (timeline, measures, kpis) state them:

- reductions of an invoice: its payments (dated no earlier than the invoice)
  and its write-off (written_off_amount, or the whole amount when empty),
  counted while not after paid_date; on one day payments come before the
  write-off. A balance never goes below zero: after the reductions up to T,
  open(i, T) = sign(amount) × max(0, |amount| − Σ reductions dated ≤ T);
  a write-off is what it actually removed;
- an invoice closes on paid_date or, without one, on the first day its
  payments bring the balance from above half a cent to half a cent or less;
  open(i, T) counts for invoice_date ≤ T < close;
- days past due = T − due_date: current ≤ 0, then the aging buckets
  (edges 0 = e1 < e2 < …: 1–e2, e2+1–e3, …, last edge + 1 and over);
- sales(S, T] = Σ amount with S < invoice_date ≤ T;
- DSO, BPDSO, ADD = AR, current AR, overdue AR / sales(T − N, T] × N;
- CEI = (AR(T − N) + sales − AR(T)) / (AR(T − N) + sales − current AR(T)) × 100;
- % over 90 = AR more than 90 days past due / AR × 100;
- invoices settled by payment in (T − N, T] (closed then, amount > 0, nothing
  written off): amount-weighted days to pay (close − invoice date), mean days
  late (max(0, close − due)), on-time rate (close ≤ due);
- bad-debt ratio = write-offs in (T − 365, T] / sales(T − 365, T] × 100;
- AR turnover = sales(T − 365, T] / ((AR(T − 365) + AR(T)) / 2);
- dispute rate = invoices issued in (T − N, T] whose dispute was raised by T
  (dispute_date, or the invoice date for a flag without date) / invoices issued × 100;
- top-10 share: each customer's net overdue balance (due < T), floored at 0;
  the 10 largest / their sum over all customers × 100.

Money measures (balances, sales, write-offs) are rounded to 1/100 of a cent
before the ratios, so float noise in a zero balance does not define a ratio.
Sales-based KPIs are missing when the ledger does not reach back to T − N + 1
(T − 364 for the 12-month ones); any ratio with a zero (or negative)
denominator is missing (NULL → NaN). Countback DSO and the roll-rate expected
write-off are not implemented here. (DuckDB's greatest/least skip NULLs, hence
the explicit CASE for a missing write-off date.)
"""

from __future__ import annotations

from typing import Iterable

import duckdb
import numpy as np
import pandas as pd

AGING_EDGES = (0, 30, 60, 90, 120)
YEAR_DAYS = 365
OVER_90_DAYS = 90
TOP_CUSTOMERS = 10
NOT_CLOSED = "DATE '9999-12-31'"
MONEY_DECIMALS = 4
MONEY_EPSILON = 0.005   # half a cent: a balance this small is settled
WO_EPSILON = 1e-9       # a write-off that removed less than this removed nothing (float noise)

#: KPI keys (as in arassess.kpi.registry) this reference computes.
KPI_KEYS = ("ar_total", "ar_overdue", "dso", "bpdso", "add", "cei", "pct_over_90", "days_to_pay",
            "mean_days_late", "on_time_rate", "bad_debt_ratio", "dispute_rate", "ar_turnover",
            "top10_overdue_share")


def bucket_labels(edges: tuple[int, ...]) -> list[str]:
    """Current, 1–30, …, 120+ (the labels arassess uses for the same edges)."""
    return (["Current"] + [f"{lo + 1}–{hi}" for lo, hi in zip(edges[:-1], edges[1:])]
            + [f"{edges[-1]}+"])


def register(con: duckdb.DuckDBPyConnection, invoices: pd.DataFrame, payments: pd.DataFrame | None) -> None:
    """Register the ledger frames as views ``ar_invoices`` and ``ar_payments`` of ``con`` (no copy)."""
    if payments is None:
        payments = pd.DataFrame({"invoice_id": pd.Series(dtype=str),
                                 "payment_date": pd.Series(dtype="datetime64[s]"),
                                 "amount": pd.Series(dtype=float)})
    con.register("ar_invoices", invoices)
    con.register("ar_payments", payments)


def _columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("DESCRIBE ar_invoices").fetchall()}


def kpi_sql(columns: set[str], window_days: int = 90,
            aging_edges: tuple[int, ...] = AGING_EDGES) -> str:
    """The query: parameter $dates (DATE[]) → one row per date, KPI keys + bucket:<label> columns."""
    n = int(window_days)
    reach = max(n, YEAR_DAYS)

    def col(name: str, cast: str = "") -> str:
        if name not in columns:
            return "NULL"
        return f"CAST({name} AS {cast})" if cast else name

    paid = col("paid_date", "DATE")
    wo_date = col("written_off_date", "DATE")
    wo_amount = col("written_off_amount", "DOUBLE")
    has_disputes = "disputed" in columns
    flagged = "coalesce(disputed, false)" if has_disputes else "false"
    if "dispute_date" in columns:
        flagged = f"({flagged} OR dispute_date IS NOT NULL)"
    raised = f"coalesce({col('dispute_date', 'DATE')}, CAST(invoice_date AS DATE))"

    ranges = [("-1000000000", "0")] + [(str(lo + 1), str(hi)) for lo, hi in zip(aging_edges[:-1], aging_edges[1:])]
    ranges.append((str(aging_edges[-1] + 1), "1000000000"))
    bucket_sums = ",\n           ".join(
        f'coalesce(sum(v) FILTER (WHERE b - due_day BETWEEN {lo} AND {hi}), 0) AS "bucket:{label}"'
        for label, (lo, hi) in zip(bucket_labels(aging_edges), ranges))
    bucket_cols = ", ".join(f'coalesce(a."bucket:{label}", 0) AS "bucket:{label}"'
                            for label in bucket_labels(aging_edges))
    bucket_round = ", ".join(f'round("bucket:{label}", {MONEY_DECIMALS}) AS "bucket:{label}"'
                             for label in bucket_labels(aging_edges))
    bucket_out = ", ".join(f'"bucket:{label}"' for label in bucket_labels(aging_edges))
    disputed_window = "coalesce(fd.disputed_window, 0)" if (has_disputes or "dispute_date" in columns) else "NULL"

    return f"""
WITH
d AS (SELECT DISTINCT unnest($dates::DATE[]) AS t),
inv0 AS MATERIALIZED (
    SELECT invoice_id, customer_id,
           CAST(invoice_date AS DATE) AS inv_day,
           CAST(due_date AS DATE) AS due_day,
           CAST(amount AS DOUBLE) AS amount,
           abs(CAST(amount AS DOUBLE)) AS size,
           sign(CAST(amount AS DOUBLE)) AS sgn,
           coalesce({paid}, {NOT_CLOSED}) AS paid_close,
           {flagged} AS flagged,
           {raised} AS raised_day,
           CASE WHEN {wo_date} IS NOT NULL THEN greatest({wo_date}, CAST(invoice_date AS DATE)) END AS wo_day,
           {wo_amount} AS wo_asked
    FROM ar_invoices),
-- reductions (payments, write-off) not after the paid date
red AS MATERIALIZED (
    SELECT p.invoice_id, greatest(CAST(p.payment_date AS DATE), i.inv_day) AS r_day,
           CAST(p.amount AS DOUBLE) AS pay_amt, 0.0 AS wo_amt
    FROM ar_payments p JOIN inv0 i USING (invoice_id)
    WHERE greatest(CAST(p.payment_date AS DATE), i.inv_day) <= i.paid_close
    UNION ALL
    SELECT invoice_id, wo_day, 0.0, coalesce(wo_asked, size)
    FROM inv0 WHERE wo_day IS NOT NULL AND wo_day <= paid_close),
-- the running balance, day by day, where it decides something: how much a write-off removed
-- (after that day's payments) and, without a paid date, the day payments clear the invoice
red_day AS MATERIALIZED (
    SELECT *, coalesce(sum(pay_amt + wo_amt) OVER (PARTITION BY invoice_id ORDER BY r_day
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS done_before
    FROM (SELECT invoice_id, r_day, sum(pay_amt) AS pay_amt, sum(wo_amt) AS wo_amt FROM red
          GROUP BY invoice_id, r_day) r
    JOIN (SELECT invoice_id, size, sgn, inv_day, due_day, amount, paid_close FROM inv0
          WHERE paid_close = {NOT_CLOSED} OR wo_day IS NOT NULL) i USING (invoice_id)),
red_eff AS MATERIALIZED (
    SELECT *,
           greatest(size - done_before - pay_amt, 0) - greatest(size - done_before - pay_amt - wo_amt, 0) AS wo_eff,
           paid_close = {NOT_CLOSED} AND pay_amt > 0 AND greatest(size - done_before, 0) > {MONEY_EPSILON}
               AND greatest(size - done_before - pay_amt, 0) <= {MONEY_EPSILON} AS clears
    FROM red_day),
flags AS MATERIALIZED (
    SELECT invoice_id, min(r_day) FILTER (WHERE clears) AS clear_day,
           bool_or(wo_eff > {WO_EPSILON}) AS written_off,
           any_value(inv_day) AS inv_day, any_value(due_day) AS due_day, any_value(amount) AS amount
    FROM red_eff GROUP BY invoice_id),
wo AS (SELECT r_day AS w_day, sgn * wo_eff AS w_amt FROM red_eff WHERE wo_eff > {WO_EPSILON}),
-- balance dates: T, T - N, T - 365
bd AS (SELECT DISTINCT unnest([t, t - {n}, t - {YEAR_DAYS}]) AS b FROM d),
-- every (balance date, invoice open then: issued, not paid, not cleared by payments)
op AS MATERIALIZED (
    SELECT bd.b, i.invoice_id, i.customer_id, i.due_day, i.size, i.sgn
    FROM inv0 i JOIN bd ON i.inv_day <= bd.b AND i.paid_close > bd.b
    LEFT JOIN flags f ON f.invoice_id = i.invoice_id
    WHERE f.clear_day IS NULL OR f.clear_day > bd.b),
op_reduced AS (
    SELECT op.b, op.invoice_id, sum(r.pay_amt + r.wo_amt) AS reduced
    FROM op JOIN red r ON r.invoice_id = op.invoice_id AND r.r_day <= op.b
    GROUP BY op.b, op.invoice_id),
bal AS MATERIALIZED (
    SELECT op.b, op.customer_id, op.due_day, op.sgn * greatest(op.size - coalesce(x.reduced, 0), 0) AS v
    FROM op LEFT JOIN op_reduced x ON x.b = op.b AND x.invoice_id = op.invoice_id),
ar AS (
    SELECT b, sum(v) AS ar,
           coalesce(sum(v) FILTER (WHERE b - due_day <= 0), 0) AS ar_current,
           coalesce(sum(v) FILTER (WHERE b - due_day > {OVER_90_DAYS}), 0) AS ar_over_90,
           {bucket_sums}
    FROM bal GROUP BY b),
-- customers' net overdue balances, floored at 0 (a customer in credit owes nothing)
owed AS (
    SELECT b, greatest(sum(v), 0) AS owed
    FROM bal WHERE b - due_day >= 1 AND b IN (SELECT t FROM d)
    GROUP BY b, customer_id),
top AS (
    SELECT b, sum(owed) FILTER (WHERE r <= {TOP_CUSTOMERS}) AS top10_overdue, sum(owed) AS customers_overdue
    FROM (SELECT b, owed, row_number() OVER (PARTITION BY b ORDER BY owed DESC) AS r FROM owed)
    GROUP BY b),
-- flows: daily totals, then summed over each window
sales_daily AS (SELECT inv_day AS day, sum(amount) AS s, count(*) AS c FROM inv0 GROUP BY inv_day),
fs AS (
    SELECT t, coalesce(sum(s) FILTER (WHERE day > t - {n}), 0) AS sales_window,
              coalesce(sum(s) FILTER (WHERE day > t - {YEAR_DAYS}), 0) AS sales_12m,
              coalesce(sum(c) FILTER (WHERE day > t - {n}), 0) AS issued_window
    FROM d JOIN sales_daily ON day > t - {reach} AND day <= t GROUP BY t),
-- settled by payment: paid (on paid_date, or cleared by payments), amount > 0, nothing written off
settled AS (
    SELECT paid_close AS close_day, inv_day, due_day, amount FROM inv0
    WHERE paid_close < {NOT_CLOSED} AND amount > 0
      AND invoice_id NOT IN (SELECT invoice_id FROM flags WHERE written_off)
    UNION ALL
    SELECT clear_day, inv_day, due_day, amount FROM flags
    WHERE clear_day IS NOT NULL AND amount > 0 AND NOT written_off),
settled_daily AS (
    SELECT close_day AS day, count(*) AS c, sum(amount) AS amt,
           sum(amount * (close_day - inv_day)) AS amt_days,
           sum(greatest(close_day - due_day, 0)) AS late_days,
           count(*) FILTER (WHERE close_day <= due_day) AS on_time
    FROM settled GROUP BY close_day),
fp AS (
    SELECT t, sum(c) AS settled_count, sum(amt) AS settled_amount, sum(amt_days) AS settled_amount_days,
           sum(late_days) AS settled_late_days, sum(on_time) AS settled_on_time
    FROM d JOIN settled_daily ON day > t - {n} AND day <= t GROUP BY t),
fw AS (SELECT t, sum(w_amt) AS writeoffs_12m FROM d JOIN wo ON w_day > t - {YEAR_DAYS} AND w_day <= t GROUP BY t),
disputes AS (SELECT inv_day, raised_day, count(*) AS c FROM inv0 WHERE flagged GROUP BY inv_day, raised_day),
fd AS (
    SELECT t, sum(c) AS disputed_window
    FROM d JOIN disputes ON inv_day > t - {n} AND inv_day <= t AND raised_day <= t GROUP BY t),
first AS (SELECT min(inv_day) AS first_day FROM inv0),
m0 AS (
    SELECT d.t,
           coalesce(a.ar, 0) AS ar, coalesce(a.ar_current, 0) AS ar_current,
           coalesce(a.ar_over_90, 0) AS ar_over_90, {bucket_cols},
           coalesce(aw.ar, 0) AS ar_window_start, coalesce(ay.ar, 0) AS ar_year_ago,
           coalesce(fs.sales_window, 0) AS sales_window, coalesce(fs.sales_12m, 0) AS sales_12m,
           coalesce(fs.issued_window, 0) AS issued_window, {disputed_window} AS disputed_window,
           coalesce(fp.settled_count, 0) AS settled_count, coalesce(fp.settled_amount, 0) AS settled_amount,
           coalesce(fp.settled_amount_days, 0) AS settled_amount_days,
           coalesce(fp.settled_late_days, 0) AS settled_late_days,
           coalesce(fp.settled_on_time, 0) AS settled_on_time,
           coalesce(fw.writeoffs_12m, 0) AS writeoffs_12m,
           coalesce(top.top10_overdue, 0) AS top10_overdue,
           coalesce(top.customers_overdue, 0) AS customers_overdue,
           first.first_day <= d.t - {n - 1} AS covered_window,
           first.first_day <= d.t - {YEAR_DAYS - 1} AS covered_12m
    FROM d CROSS JOIN first
    LEFT JOIN ar a ON a.b = d.t
    LEFT JOIN ar aw ON aw.b = d.t - {n}
    LEFT JOIN ar ay ON ay.b = d.t - {YEAR_DAYS}
    LEFT JOIN top ON top.b = d.t
    LEFT JOIN fs USING (t) LEFT JOIN fp USING (t) LEFT JOIN fw USING (t) LEFT JOIN fd USING (t)),
-- money to 1/100 of a cent: float noise of long sums is far below that, and a balance that is
-- zero must not come out as 1e-11 and make a ratio "defined"
m AS (
    SELECT * REPLACE (round(ar, {MONEY_DECIMALS}) AS ar, round(ar_current, {MONEY_DECIMALS}) AS ar_current,
                      round(ar_over_90, {MONEY_DECIMALS}) AS ar_over_90,
                      round(ar_window_start, {MONEY_DECIMALS}) AS ar_window_start,
                      round(ar_year_ago, {MONEY_DECIMALS}) AS ar_year_ago,
                      round(sales_window, {MONEY_DECIMALS}) AS sales_window,
                      round(sales_12m, {MONEY_DECIMALS}) AS sales_12m,
                      round(writeoffs_12m, {MONEY_DECIMALS}) AS writeoffs_12m,
                      round(top10_overdue, {MONEY_DECIMALS}) AS top10_overdue,
                      round(customers_overdue, {MONEY_DECIMALS}) AS customers_overdue, {bucket_round})
    FROM m0)
SELECT t AS as_of,
       ar AS ar_total,
       ar - ar_current AS ar_overdue,
       CASE WHEN covered_window AND sales_window > 0 THEN ar / sales_window * {n} END AS dso,
       CASE WHEN covered_window AND sales_window > 0 THEN ar_current / sales_window * {n} END AS bpdso,
       CASE WHEN covered_window AND sales_window > 0 THEN (ar - ar_current) / sales_window * {n} END AS add,
       CASE WHEN covered_window AND ar_window_start + sales_window - ar_current > 0
            THEN (ar_window_start + sales_window - ar) / (ar_window_start + sales_window - ar_current) * 100
       END AS cei,
       CASE WHEN ar > 0 THEN ar_over_90 / ar * 100 END AS pct_over_90,
       CASE WHEN settled_amount > 0 THEN settled_amount_days / settled_amount END AS days_to_pay,
       CASE WHEN settled_count > 0 THEN settled_late_days / settled_count END AS mean_days_late,
       CASE WHEN settled_count > 0 THEN settled_on_time / settled_count * 100 END AS on_time_rate,
       CASE WHEN covered_12m AND sales_12m > 0 THEN writeoffs_12m / sales_12m * 100 END AS bad_debt_ratio,
       CASE WHEN issued_window > 0 THEN disputed_window / issued_window * 100 END AS dispute_rate,
       CASE WHEN covered_12m AND ar_year_ago + ar > 0 THEN sales_12m / ((ar_year_ago + ar) / 2) END AS ar_turnover,
       CASE WHEN customers_overdue > 0 THEN top10_overdue / customers_overdue * 100 END AS top10_overdue_share,
       {bucket_out}
FROM m ORDER BY t
"""


def compute(con: duckdb.DuckDBPyConnection, as_of: Iterable, *, window_days: int = 90,
            aging_edges: tuple[int, ...] = AGING_EDGES) -> pd.DataFrame:
    """KPIs at every date of ``as_of`` (index: as_of; columns: KPI_KEYS then bucket:<label>)."""
    dates = sorted({pd.Timestamp(x).normalize().date() for x in as_of})
    sql = kpi_sql(_columns(con), window_days, tuple(aging_edges))
    frame = con.execute(sql, {"dates": dates}).df()
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame = frame.set_index("as_of")
    return frame.astype(float)


def differences(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """Per common column: max |a − b|, max |a − b| / max(|a|, |b|, 1), and rows where only one is NaN."""
    common = [c for c in theirs.columns if c in ours.columns]
    a = ours.loc[theirs.index, common].astype(float).to_numpy()
    b = theirs[common].to_numpy()
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = np.where(both, np.abs(a - b), 0.0)
    rel = diff / np.maximum(np.maximum(np.abs(np.nan_to_num(a)), np.abs(np.nan_to_num(b))), 1.0)
    return pd.DataFrame({"max_abs_diff": diff.max(axis=0), "max_rel_diff": rel.max(axis=0),
                         "nan_mismatches": (np.isnan(a) != np.isnan(b)).sum(axis=0),
                         "defined": both.sum(axis=0)}, index=common)
