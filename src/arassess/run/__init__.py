"""Running the work: notebooks under Papermill into a new run folder, and ``arassess assess``."""
