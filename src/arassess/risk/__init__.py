"""Late-payment risk: features as of a date, the model and its validation, the saved result
of a run and its charts."""
