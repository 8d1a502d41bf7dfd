"""Boost windows: more campaigns a day around an event, for the players interested in it."""
