"""The points ledger: accounts, postings, lots, expiry and the consistency check.

The bottom layer of loyalty: it knows postings and lots, not members, partners or tills, and imports nothing
from ``loyalty.programme`` or ``loyalty.till``.
"""
