"""Late-payment law: the reference rates (rates) and what the client could have claimed (entitlement)."""
