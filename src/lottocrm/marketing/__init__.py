"""Marketing: segments, campaigns, control groups, arbitration and measured uplift (issue #14)."""
