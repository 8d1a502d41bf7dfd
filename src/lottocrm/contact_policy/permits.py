"""The permit: the contact policy's written leave for one message. Messaging sends nothing without one.

Only :mod:`lottocrm.contact_policy.service` makes permits (it holds the seal; a permit made anywhere else
fails to construct), so a message cannot reach a channel around the policy. A permit records what the
decision relied on — the policy version and the consent-ledger row — for the contact history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Private to the contact policy: the service passes it, nothing else should import it (tested).
_SEAL = object()


class PermitForged(TypeError):
    pass


@dataclass(frozen=True)
class Permit:
    player_id: int
    channel: str
    message_class: str
    contact_point: str
    source_kind: str
    source_id: str | None
    policy_version: int
    consent_event_id: int | None
    issued_at: dt.datetime
    # When the message may leave: quiet hours hold it until then (None: now).
    not_before: dt.datetime | None = None
    seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.seal is not _SEAL:
            raise PermitForged("a permit is issued only by lottocrm.contact_policy.service")
