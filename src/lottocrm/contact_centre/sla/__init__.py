"""Service-level agreements: business time on each team's calendar, timers rebuilt from a case's history."""
