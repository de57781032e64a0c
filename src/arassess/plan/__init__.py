"""Notebook 04, the action plan: the action catalog, the plan, the worklist, letters, sections
and charts."""
