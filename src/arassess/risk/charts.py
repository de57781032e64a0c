"""Charts of the late-payment risk (:mod:`arassess.risk.model`): how the customers' scores spread over the
bands, and whether the predicted probabilities held on the test period (reliability).

Same look as :mod:`arassess.assessment.charts` (styles from :mod:`arassess.display.style`); no pyplot, nothing
shown. Input with nothing to draw gives a "no data: <reason>" figure instead of an exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from arassess.display.style import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    MARKERS,
    ORANGE,
    SMALL,
    VERMILLION,
    legend_below,
    missing_columns,
    money,
    money_axis,
    new_figure,
    no_data_figure,
    plural,
    style_axes,
)

#: Band → colour (colour-blind-safe: green, orange, vermillion).
BAND_COLOURS = {"low": GREEN, "medium": ORANGE, "high": VERMILLION}
SCORE_BIN = 0.05  # width of a histogram bin of customer scores (5 points)
#: Predictor drawn in the reliability chart → colour; any other predictor is drawn in black.
PREDICTOR_COLOURS = {"baseline": GREY, "logistic regression": BLUE, "gradient boosting": VERMILLION}
DIAGONAL_LABEL = "perfectly calibrated"
CALIBRATION_MARGIN = 0.05  # room beyond the largest point of the reliability chart (probability units)


def band_label(band: str, low_below: float, high_from: float) -> str:
    """'high (≥ 50%)', 'medium (20–50%)', 'low (< 20%)'."""
    if band == "low":
        return f"low (< {low_below:.0%})"
    if band == "high":
        return f"high (≥ {high_from:.0%})"
    return f"medium ({low_below:.0%}–{high_from:.0%})"


def score_distribution_chart(customers: pd.DataFrame, low_below: float, high_from: float,
                             currency: str, threshold_days: int = 30) -> Figure:
    """Customers' risk scores as a histogram of their open amount, stacked by band, with the band
    thresholds as dashed lines; the legend gives each band's customers and open amount.

    ``customers``: :attr:`arassess.risk.model.RiskResult.customers` (columns score 0–1, band, open_amount).
    """
    title = "Late-payment risk: open amount by customer score"
    why = missing_columns(customers, ("score", "band", "open_amount"))
    if why or len(customers) == 0:
        return no_data_figure(title, why or "no customer with an open balance")
    edges = np.linspace(0.0, 1.0, int(round(1 / SCORE_BIN)) + 1)
    bands = [b for b in BAND_COLOURS]
    groups = [customers[customers["band"].astype(str) == b] for b in bands]
    fig = new_figure(4.4)
    ax = fig.add_subplot()
    labels = [f"{band_label(b, low_below, high_from)}: {plural(len(g), 'customer')}, "
              f"{money(float(g['open_amount'].sum()), currency)}" for b, g in zip(bands, groups)]
    ax.hist([g["score"].to_numpy(dtype=float) for g in groups], bins=edges, stacked=True,
            weights=[g["open_amount"].to_numpy(dtype=float) for g in groups],
            color=[BAND_COLOURS[b] for b in bands], label=labels, edgecolor="white", linewidth=0.5)
    for level, name in ((low_below, "low below"), (high_from, "high from")):
        ax.axvline(level, color=BLACK, linestyle="--", linewidth=1.2, gid=f"threshold {name}")
        # "low below" sits left of its line (over the low bars), "high from" right of its line
        left = name == "low below"
        ax.annotate(f"{name} {level:.0%}", (level, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(-3 if left else 3, -2), textcoords="offset points", va="top",
                    ha="right" if left else "left", fontsize=SMALL)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    money_axis(ax.yaxis, currency)
    ax.margins(y=0.12)
    style_axes(ax, title, f"Customer score: share of its open balance expected to be paid more than "
               f"{threshold_days} days late", f"Open amount ({currency})")
    legend_below(fig, 1)
    return fig


def calibration_chart(calibration: pd.DataFrame, validation: pd.DataFrame) -> Figure:
    """Reliability on the test period: mean predicted vs observed late share per bin, one line per
    predictor, against the diagonal (perfectly calibrated); each predictor's test AUC (95% interval)
    and Brier score in the legend, the chosen model and the predictor used marked.

    ``calibration``: :attr:`arassess.risk.model.RiskResult.calibration` (predictor, predicted, observed);
    ``validation``: :attr:`arassess.risk.model.RiskResult.validation` (predictor, auc, auc_low, auc_high,
    brier, chosen, used).
    """
    title = "Predicted vs observed late share (test period)"
    why = missing_columns(calibration, ("predictor", "predicted", "observed"))
    if why or len(calibration) == 0:
        return no_data_figure(title, why or "no test period")
    scores = validation.set_index("predictor") if "predictor" in validation.columns else pd.DataFrame()
    fig = new_figure(4.8, 6.4)
    ax = fig.add_subplot()
    top = float(np.nanmax(calibration[["predicted", "observed"]].to_numpy(dtype=float)))
    top = min(1.0, np.ceil((top + CALIBRATION_MARGIN) * 10) / 10) if np.isfinite(top) else 1.0
    ax.plot([0, top], [0, top], color=GREY, linestyle=":", linewidth=1.2, label=DIAGONAL_LABEL)
    for i, (name, points) in enumerate(calibration.groupby("predictor", sort=False)):
        label = str(name)
        if name in scores.index:
            row = scores.loc[name]
            marks = [w for w, flag in (("chosen", row.get("chosen")), ("used", row.get("used"))) if bool(flag)]
            label += (f" ({', '.join(marks)})" if marks else "") + (
                f": AUC {row['auc']:.2f} ({row['auc_low']:.2f}–{row['auc_high']:.2f}), Brier {row['brier']:.3f}")
        ax.plot(points["predicted"].astype(float), points["observed"].astype(float),
                color=PREDICTOR_COLOURS.get(str(name), BLACK), marker=MARKERS[i % len(MARKERS)], markersize=5,
                linewidth=1.6, label=label)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    style_axes(ax, title, "Mean predicted probability of paying late (bins of test invoices)",
               "Observed share paid late", grid="both")
    legend_below(fig, 1)
    return fig


__all__ = ["BAND_COLOURS", "DIAGONAL_LABEL", "band_label", "calibration_chart", "score_distribution_chart"]
