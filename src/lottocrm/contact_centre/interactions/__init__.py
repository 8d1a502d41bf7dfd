"""Interactions: every contact with a player on every channel, as the operator logged it."""
