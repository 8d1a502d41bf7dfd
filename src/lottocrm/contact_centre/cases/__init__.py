"""Cases: a player's problem from the first contact to its solution, with types, states and links."""
