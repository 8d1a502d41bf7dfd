"""Contact policy: the one gate every message, offer and call passes.

It decides, for a player, a channel and a class of message, whether the message may go now, later (quiet
hours) or not at all (consent, responsible gaming, age, caps), says why, and issues the :class:`Permit`
without which :mod:`lottocrm.messaging` sends nothing. Its decisions and the messages' outcomes are kept
in the contact history, the operator's proof of why a message was or was not sent.
"""
