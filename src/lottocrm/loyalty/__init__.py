"""Coalition loyalty: a double-entry points ledger, earn rules, tiers, partners, the till API and cards."""
