"""The forecast wing's tables, each built once as a labelled frame (notebook 01, the dashboard, the
client report and ``arassess forecast`` show them)."""

from __future__ import annotations

import pandas as pd

from arassess.forecast.model import METHOD_LABELS, METHODS, CashForecast


def weeks_table(f: CashForecast, weeks: int | None = None) -> pd.DataFrame:
    """Week by week: its dates, the receipts shown with the 80% band (and the part from invoices
    not yet issued, when added), what the method is, and the due-date baseline; amounts in whole
    currency units."""
    w = f.weeks if weeks is None else f.weeks.head(weeks)
    cur = f.currency

    def whole(values: pd.Series) -> pd.Series:
        return values.astype(float).round(0)

    new_sales = {f"Of which new sales ({cur})": whole(w["new sales"]).to_numpy()} \
        if f.new_sales.get("included") else {}
    return pd.DataFrame({
        "Week": w["week"].astype(int).to_numpy(),
        "From": pd.to_datetime(w["start"]).to_numpy(),
        "To": pd.to_datetime(w["end"]).to_numpy(),
        f"Expected ({cur})": whole(w["expected"]).to_numpy(),
        f"Low ({cur})": whole(w["low"]).to_numpy(),
        f"High ({cur})": whole(w["high"]).to_numpy(),
        **new_sales,
        "Shown from": w["method"].map(METHOD_LABELS).to_numpy(),
        f"Due-date baseline ({cur})": whole(w["due date"]).to_numpy(),
    })


def months_table(f: CashForecast) -> pd.DataFrame:
    """Month by month for six months."""
    return pd.DataFrame({"Month": f.months["month"].to_numpy(),
                         f"Expected ({f.currency})": f.months["expected"].astype(float).round(0).to_numpy(),
                         "Shown from": f.months["method"].map(METHOD_LABELS).to_numpy()})


def accuracy_table(f: CashForecast) -> pd.DataFrame:
    """The backtest's WAPE per horizon and method, and which is used."""
    if not len(f.accuracy):
        return pd.DataFrame(columns=["Horizon", *[METHOD_LABELS[m] for m in METHODS], "Used"])
    rows = {"Horizon": list(f.accuracy.index)}
    for m in METHODS:
        rows[f"WAPE: {METHOD_LABELS[m]}"] = [f"{v:.0%}" if v == v else "n/a" for v in f.accuracy[m]]
    rows["Used"] = [METHOD_LABELS[f.used[h]] for h in f.accuracy.index]
    return pd.DataFrame(rows)
