"""What the loyalty programme announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

from lottocrm.events.model import EventPayload


class PointsEarned(EventPayload):
    """Points credited to a member: at a partner's till, for a lottery ticket, a welcome bonus."""

    name = "loyalty.points_earned"
    player_field = "player_id"

    player_id: int | None
    account_id: int
    operation_id: int
    kind: str
    points: int
    partner_id: int | None


class PointsRedeemed(EventPayload):
    """Held points were captured: the member spent them at a till or on a reward."""

    name = "loyalty.points_redeemed"
    player_field = "player_id"

    player_id: int | None
    account_id: int
    operation_id: int
    hold_id: int
    points: int
    partner_id: int | None


class TierChanged(EventPayload):
    name = "loyalty.tier_changed"
    player_field = "player_id"

    player_id: int | None
    account_id: int
    previous_tier: str | None
    tier: str | None
