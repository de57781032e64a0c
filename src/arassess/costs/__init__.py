"""Notebook 02, in-house or agency: the claims and the client's collection curve, the cost
model and its assumptions, the case with break-evens, sections, charts, scenarios, dashboard."""
