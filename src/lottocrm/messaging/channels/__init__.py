"""Channels: one transport per way of reaching a player, all with the interface of :mod:`.base`.

Only the dispatcher uses them; a transport knows its protocol and its provider's settings, never the
database, the contact policy or the templates.
"""
