"""The read side of the contact-centre screen: search hits and the player 360, masked for some roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock, vocab
from lottocrm.catalog.models import Game
from lottocrm.lake.store import Lake
from lottocrm.players.activity import player_activity
from lottocrm.players.consents import current_consents
from lottocrm.players.contrib import PanelProvider
from lottocrm.players.isolation import run_isolated
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming
from lottocrm.players.schemas import (
    ConsentOut,
    IdentityOut,
    Player360,
    ResponsibleGamingOut,
    SearchHit,
    mask_identity,
    mask_name,
)
from lottocrm.presentation.values import PanelOut

CONSENT_HISTORY_LIMIT = 100
# Device ids are technical; the contact centre is shown the identities a caller could quote.
SHOWN_IDENTITY_KINDS = ("phone", "email", "card")


def full_name(player: Player) -> str:
    return " ".join(part for part in (player.last_name, player.first_name, player.middle_name) if part)


def _name(player: Player, masked: bool) -> str:
    return mask_name(player.last_name, player.first_name, player.middle_name) if masked else full_name(player)


def _identities(rows: list[PlayerIdentity], masked: bool) -> list[IdentityOut]:
    shown = sorted(
        (r for r in rows if r.kind in SHOWN_IDENTITY_KINDS),
        key=lambda r: (SHOWN_IDENTITY_KINDS.index(r.kind), r.id),
    )
    return [
        IdentityOut(
            id=r.id,
            kind=r.kind,
            value=mask_identity(r.kind, r.value) if masked else r.value,
            verified=r.verified,
        )
        for r in shown
    ]


def _self_excluded(rg: ResponsibleGaming | None, today: dt.date) -> bool:
    return rg is not None and rg.self_excluded_until is not None and rg.self_excluded_until >= today


def search_hits(session: Session, *, player_ids: list[int], masked: bool) -> list[SearchHit]:
    """One query per table for the whole result list, whatever its length."""
    if not player_ids:
        return []
    players = {p.id: p for p in session.scalars(select(Player).where(Player.id.in_(player_ids)))}
    identities: dict[int, list[PlayerIdentity]] = {}
    for identity in session.scalars(select(PlayerIdentity).where(PlayerIdentity.player_id.in_(player_ids))):
        identities.setdefault(identity.player_id, []).append(identity)
    exclusions = {
        rg.player_id: rg
        for rg in session.scalars(
            select(ResponsibleGaming).where(ResponsibleGaming.player_id.in_(player_ids))
        )
    }
    today = clock.operator_day()
    hits = [
        SearchHit(
            player_id=p.id,
            name=_name(p, masked),
            birth_date=None if masked else p.birth_date,
            birth_year=p.birth_date.year if p.birth_date else None,
            region=p.region,
            status=p.status,
            self_excluded=_self_excluded(exclusions.get(p.id), today),
            # Contact data is shown in full only on the opened (and audited) 360, never in a result list.
            identities=_identities(identities.get(p.id, []), masked=True),
        )
        for pid in player_ids
        if (p := players.get(pid)) is not None
    ]
    return hits


def _consent_out(event: ConsentEvent) -> ConsentOut:
    return ConsentOut(
        purpose=event.purpose,
        channel=event.channel,
        granted=event.granted,
        occurred_at=event.occurred_at,
        source=event.source,
        notice_version=event.notice_version,
    )


def player_contacts(session: Session, *, player_id: int, masked: bool) -> list[IdentityOut]:
    """The contacts part of the 360 alone, for the contact form's partial update."""
    rows = session.scalars(select(PlayerIdentity).where(PlayerIdentity.player_id == player_id))
    return _identities(list(rows), masked)


def collect_panels(session: Session, *, player_id: int, providers: Sequence[PanelProvider]) -> list[PanelOut]:
    """Every provider's panels, in wiring order; a provider that fails is left out (and logged)."""
    calls = [
        (
            f"panel provider {getattr(provider, '__module__', provider)}",
            partial(provider, session, player_id=player_id),
        )
        for provider in providers
    ]
    found, _failed = run_isolated(session, calls)
    return [panel for panels in found for panel in panels]


def player_360(
    session: Session,
    *,
    player_id: int,
    masked: bool,
    lake: Lake | None,
    panels: Sequence[PanelProvider],
) -> Player360 | None:
    player = session.get(Player, player_id)
    if player is None:
        return None
    identities = list(session.scalars(select(PlayerIdentity).where(PlayerIdentity.player_id == player_id)))
    current = current_consents(session, player_id=player_id)
    history = session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.player_id == player_id)
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
        .limit(CONSENT_HISTORY_LIMIT)
    )
    rg = session.get(ResponsibleGaming, player_id)
    activity = None
    if lake is not None:
        game_names = {gid: name for gid, name in session.execute(select(Game.id, Game.name))}
        activity = player_activity(lake, player_id=player_id, game_names=game_names)
    return Player360(
        player_id=player.id,
        name=_name(player, masked),
        masked=masked,
        birth_date=None if masked else player.birth_date,
        birth_year=player.birth_date.year if player.birth_date else None,
        gender=player.gender,
        region=player.region,
        region_name=vocab.region_name(player.region) if player.region else None,
        registered_at=player.registered_at,
        registration_channel=player.registration_channel,
        status=player.status,
        age_verified=player.age_verified,
        identities=_identities(identities, masked),
        consents=[
            ConsentOut(
                purpose=purpose,
                channel=channel,
                granted=state.granted,
                occurred_at=state.occurred_at,
                source=state.source,
                notice_version=state.notice_version,
            )
            for (purpose, channel), state in sorted(current.items())
        ],
        consent_history=[_consent_out(e) for e in history],
        responsible_gaming=ResponsibleGamingOut(
            self_excluded_until=rg.self_excluded_until if rg else None,
            self_excluded_now=_self_excluded(rg, clock.operator_day()),
            monthly_spend_limit_kopecks=rg.monthly_spend_limit_kopecks if rg else None,
            flags=list(rg.flags or []) if rg else [],
            note=None if masked or rg is None else rg.note,
            under_age=player.under_age,
        ),
        activity=activity,
        panels=collect_panels(session, player_id=player_id, providers=panels),
    )
