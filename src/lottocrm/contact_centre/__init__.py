"""The contact centre: interactions, cases with SLAs and routing, follow-ups, surveys, quality (issue #16)."""
