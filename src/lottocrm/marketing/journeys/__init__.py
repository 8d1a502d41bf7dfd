"""Journeys: versioned graphs of steps a player walks through after a trigger (issue #15)."""
