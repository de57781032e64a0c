"""The KPI engine: measures from the balance events, the formulas, the registry of KPIs, the
scorecard, roll rates, open items at a date and what the data covers."""
