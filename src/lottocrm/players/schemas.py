"""What the search and the 360 view show, and how personal data is masked for roles that see it masked."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel

from lottocrm.presentation.values import PanelOut


def mask_phone(e164: str) -> str:
    """+79161234512 → +7 9** ***-**-12: the operator code's first digit and the last two stay readable."""
    digits = re.sub(r"\D", "", e164)
    if e164.startswith("+7") and len(digits) == 11:
        return f"+7 {digits[1]}** ***-**-{digits[-2:]}"
    return "+" + "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_email(email: str) -> str:
    """ivan.petrov@mail.ru → i***@m***.ru"""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{dot}{tld}"


def mask_card(card: str) -> str:
    return "*" * max(len(card) - 4, 0) + card[-4:]


def mask_identity(kind: str, value: str) -> str:
    if kind == "phone":
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return mask_card(value)


def mask_name(last: str, first: str, middle: str | None) -> str:
    return " ".join(f"{part[:1]}." for part in (last, first, middle) if part)


class IdentityOut(BaseModel):
    id: int
    kind: str
    value: str
    verified: bool


class SearchHit(BaseModel):
    player_id: int
    name: str
    birth_date: dt.date | None
    birth_year: int | None
    region: str | None
    status: str
    self_excluded: bool
    identities: list[IdentityOut]


class SearchResult(BaseModel):
    query_kind: str
    hits: list[SearchHit]
    more: bool = False
    too_many: bool = False


class ConsentOut(BaseModel):
    purpose: str
    channel: str
    granted: bool
    occurred_at: dt.datetime
    source: str
    notice_version: str


class ResponsibleGamingOut(BaseModel):
    self_excluded_until: dt.date | None
    self_excluded_now: bool
    monthly_spend_limit_kopecks: int | None
    flags: list[str]
    note: str | None
    under_age: bool


class TicketOut(BaseModel):
    ticket_id: int
    game: str
    channel: str
    region: str | None
    price_kopecks: int
    sold_at: dt.datetime


class WinOut(BaseModel):
    win_id: int
    game: str
    prize_tier: int
    amount_kopecks: int
    won_at: dt.datetime
    claimed: bool


class ActivityOut(BaseModel):
    tickets_total: int
    spend_total_kopecks: int
    wins_total: int
    wins_amount_kopecks: int
    last_ticket_at: dt.datetime | None
    tickets: list[TicketOut]
    wins: list[WinOut]
    # Where the next (older) page of tickets or wins starts; None when every one is shown.
    older_tickets: str | None = None
    older_wins: str | None = None


class Player360(BaseModel):
    player_id: int
    name: str
    masked: bool
    birth_date: dt.date | None
    birth_year: int | None
    gender: str | None
    region: str | None
    region_name: str | None
    registered_at: dt.datetime
    registration_channel: str
    status: str
    age_verified: bool
    identities: list[IdentityOut]
    consents: list[ConsentOut]
    consent_history: list[ConsentOut]
    responsible_gaming: ResponsibleGamingOut
    activity: ActivityOut | None
    panels: list[PanelOut]
