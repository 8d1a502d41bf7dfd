"""Draws as the operator's gaming system reports them after the calendar was imported: results published,
jackpots changed. Each change is announced as a domain event (journeys react to both)."""
