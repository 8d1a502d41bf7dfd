"""Real-time decisions: which banner a website or app slot shows to a player or an anonymous visitor."""
