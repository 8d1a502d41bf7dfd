"""Identity resolution: one person behind several registrations, cards and tickets; merges (issue #17)."""
