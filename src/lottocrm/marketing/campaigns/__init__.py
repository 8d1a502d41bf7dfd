"""Campaigns: a segment sent through the contact policy on a schedule, with a control group and a result."""
