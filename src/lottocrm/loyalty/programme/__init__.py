"""The programme's rules on top of the ledger: members and cards, partners, earn rules, tiers, earning,
redemption holds, returns, the rewards catalogue, settlement and the periodic maintenance runs.

Services here take a Session (or a till call's statements) and never commit; the long runs
(``maintenance``, ``lake_earn``, ``simulate``) take an Engine and own small transactions.
"""
