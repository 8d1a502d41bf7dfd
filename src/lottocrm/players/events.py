"""What the players domain announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from lottocrm.events.model import EventPayload


class ConsentChanged(EventPayload):
    """A consent event was recorded: a grant or a withdrawal of one purpose on one channel."""

    name = "players.consent_changed"
    player_field = "player_id"

    player_id: int
    consent_event_id: int
    purpose: str
    channel: str
    granted: bool
    source: str
    occurred_at: dt.datetime


class IdentityChanged(EventPayload):
    """A phone, e-mail or card was added to, replaced on or removed from a player (the value is not carried:
    a subscriber that needs it reads the player's contacts)."""

    name = "players.identity_changed"
    player_field = "player_id"

    player_id: int
    kind: str
    change: Literal["added", "replaced", "removed"]


class PlayersRegistered(EventPayload):
    """A batch of new players was loaded (an import file, or the website's registrations)."""

    name = "players.registered"

    batch_id: str
    count: int
    first_player_id: int
    last_player_id: int


class ResponsibleGamingChanged(EventPayload):
    """A player's self-exclusion, time-out or spending limit changed."""

    name = "players.responsible_gaming_changed"
    player_field = "player_id"

    player_id: int
    self_excluded_until: dt.date | None
    monthly_spend_limit_kopecks: int | None
    # Added with the contact policy; absent from events emitted before it.
    returned_at: dt.datetime | None = None
    timeout_until: dt.datetime | None = None


class CalendarDay(EventPayload):
    """A day of the operator's calendar began: whose birthday and whose registration anniversary it is are
    read with :func:`lottocrm.players.calendar.birthdays_on` and ``anniversaries_on`` (a list of every such
    player would be ~55 000 ids a day at 2·10^7 players)."""

    name = "players.calendar_day"

    day: dt.date
    birthdays: int
    anniversaries: int
