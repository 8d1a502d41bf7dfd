"""Game propensity: per player and game, the probability to play that game in the next period; next game to offer."""
