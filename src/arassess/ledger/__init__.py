"""The ledger: what a validated ledger is (its columns, the Ledger, its data-quality report, integer
keys) and every invoice's balance as dated events."""
