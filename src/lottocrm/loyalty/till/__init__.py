"""The till API: how a partner's point of sale reaches the programme over HTTP.

Routes (``api``, ``rewards_api``), what they share (``calls``), idempotency keys, the request and response
bodies, and on PostgreSQL the one-statement redemption path (``fastpath`` → ``procedures``).
"""
