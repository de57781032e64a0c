"""Notebook 05, the monthly review: the KPI history store, the review, its sections, the batch
over many clients and its cron/systemd schedule."""
