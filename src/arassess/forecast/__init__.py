"""Cash in the coming weeks: expected receipts from the open invoices, backtested point in time."""
