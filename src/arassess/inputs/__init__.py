"""Getting a client's export in: reading files, typing and checking values, the intake into a
Ledger, the run's one-load cache and the sample clients."""
