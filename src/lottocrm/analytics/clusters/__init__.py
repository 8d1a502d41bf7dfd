"""Gaussian-mixture micro-segments of players on standardised analytical-record features."""
