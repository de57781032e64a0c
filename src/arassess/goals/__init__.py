"""Notebook 03, goals: default and saved targets, glide paths, the cash a goal frees, the goals
file, sections, charts and dashboard."""
