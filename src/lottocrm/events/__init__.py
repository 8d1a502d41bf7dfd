"""Domain events: typed facts that one domain announces and others react to after commit.

``emit(session, payload)`` (:mod:`.outbox`) enqueues one durable job per subscriber in the caller's
transaction, so a subscriber runs only if the change committed, and runs even if the process dies right
after. The payload types are the catalogue (:mod:`.catalog`); subscribers are listed in the domains' wiring.
"""
