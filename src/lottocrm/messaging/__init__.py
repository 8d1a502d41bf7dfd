"""Messaging: the only sender. Templates, the outbox, dispatch and the channels (SMS, e-mail, push, call
list). Every message it sends carries a permit from :mod:`lottocrm.contact_policy`."""
