"""How things look, defined once: the charts' style."""
