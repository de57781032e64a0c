"""Notebook 01, the assessment of the current process: the case (all figures as data), its
sections, charts, findings, maturity, aging and behaviour tables, and the dashboard."""
