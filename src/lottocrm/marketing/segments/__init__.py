"""Segments: a typed condition language over the player, compiled to SQL and evaluated in Python."""
