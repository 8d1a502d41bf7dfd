"""Game propensity per player and game over the next period, and the next game to offer each player."""
