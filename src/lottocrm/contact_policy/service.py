"""The gate's services: the policy in force, ``decide`` for one player, and permits.

Keyword-only, never commit (the caller owns the transaction). Marketing, journeys, the contact centre and
the decision API ask here, never the players' consent functions directly; only this module issues a
:class:`~lottocrm.contact_policy.permits.Permit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.contact_policy import facts as player_facts
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.checks import blocking_reasons
from lottocrm.contact_policy.document import CHANNELS, DEFAULT_POLICY, LONGEST_WINDOW, PolicySettings
from lottocrm.contact_policy.errors import ContactPolicyError, UnknownPlayer  # noqa: F401 (re-exported)
from lottocrm.contact_policy.exemptions import exempted
from lottocrm.contact_policy.models import MESSAGE_CLASSES, SOURCE_KINDS, PolicyVersion
from lottocrm.contact_policy.permits import _SEAL, Permit
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.rules import next_allowed, player_zone, spread
from lottocrm.settings import get_settings

# The built-in policy's version number, before an admin saved one.
DEFAULT_VERSION = 0
_POLICY_IN_SESSION = "contact_policy.in_force"


@dataclass(frozen=True)
class Decision:
    """The gate's answer for one message: allowed now, allowed later (``held_until``), or not (``reasons``,
    the first of which blocked it). An allowed decision carries its permit."""

    player_id: int
    channel: str
    message_class: str
    allowed: bool
    reasons: tuple[Reason, ...]
    policy_version: int
    held_until: dt.datetime | None = None
    permit: Permit | None = None

    @property
    def blocked_by(self) -> str | None:
        return None if self.allowed else self.reasons[0].code


def require_known(*, channel: str, message_class: str, source_kind: str = "system") -> None:
    if channel not in CHANNELS:
        raise ContactPolicyError("unknown channel %(channel)r", channel=channel)
    if message_class not in MESSAGE_CLASSES:
        raise ContactPolicyError("unknown message class %(message_class)r", message_class=message_class)
    if source_kind not in SOURCE_KINDS:
        raise ContactPolicyError("unknown source of a message %(source_kind)r", source_kind=source_kind)


def _aware(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise ContactPolicyError("a decision's moment must carry a time zone")
    return at


def current_policy(session: Session) -> tuple[int, PolicySettings]:
    """The version in force and its settings (the built-in defaults while no admin has saved one). Read
    once per transaction: a page or a batch asks many times, and a change is seen by the next one."""
    if (known := session.info.get(_POLICY_IN_SESSION)) is not None:
        return known
    found = policy_in_force(session.connection())
    session.info[_POLICY_IN_SESSION] = found
    return found


def policy_in_force(connection: Connection) -> tuple[int, PolicySettings]:
    """The version in force and its settings, read on a connection (for loaders that have no session)."""
    row = connection.execute(
        select(PolicyVersion.id, PolicyVersion.settings).order_by(PolicyVersion.id.desc()).limit(1)
    ).first()
    return (
        (DEFAULT_VERSION, DEFAULT_POLICY)
        if row is None
        else (row.id, PolicySettings.model_validate(row.settings))
    )


def refresh_players(connection: Connection, player_ids: Iterable[int]) -> int:
    """Recompute the contactability rows of players a bulk loader wrote (players, identities, consents)
    with Core on ``connection``, in its transaction: the gate sees them before the load commits."""
    return standing.refresh(connection, player_ids, policy=policy_in_force(connection)[1])


def save_policy(session: Session, *, actor: Actor, settings: PolicySettings, note: str) -> PolicyVersion:
    """Put a new version of the policy in force. Versions are only added; each is audited with its
    settings, so who changed a cap, when and from what is on record."""
    if not note.strip():
        raise ContactPolicyError("say why the policy changes: a note is required")
    previous_version, previous = current_policy(session)
    version = PolicyVersion(
        settings=settings.model_dump(mode="json"),
        note=note.strip()[:500],
        created_at=clock.now(),
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    session.info[_POLICY_IN_SESSION] = (version.id, settings)
    # Caps moved: the rows of players with a touch in the longest window fold them in. (Synchronous: at
    # the reference operator's 10^7 touched players a job would be kinder to the admin's page.)
    connection = session.connection()
    standing.refresh(
        connection, standing.touched_since(connection, clock.now() - LONGEST_WINDOW), policy=settings
    )
    audit(
        session,
        actor=actor,
        action="contact_policy.change",
        detail={
            "version": version.id,
            "previous_version": previous_version,
            "note": version.note,
            "settings": version.settings,
            "previous_settings": previous.model_dump(mode="json"),
        },
    )
    return version


def _decided(
    session: Session,
    found: player_facts.PlayerFacts,
    *,
    channel: str,
    message_class: str,
    at: dt.datetime,
    version: int,
    policy: PolicySettings,
    source_kind: str,
    source_id: str | None,
) -> Decision:
    player_id = found.player_id
    reasons = blocking_reasons(
        session,
        found,
        channel=channel,
        message_class=message_class,
        at=at,
        policy=policy,
        requires_known_adult=get_settings().marketing_requires_known_adult,
    )
    common = {"player_id": player_id, "channel": channel, "message_class": message_class}
    if any(reason.code == "cap" for reason in reasons) and (source_kind, source_id) in exempted(
        session, [(source_kind, source_id)]
    ):
        reasons = [reason for reason in reasons if reason.code != "cap"]
    if reasons:
        return Decision(**common, allowed=False, reasons=tuple(reasons), policy_version=version)
    held_until = next_allowed(at, player_zone(found["region"]), policy.quiet_rule(channel, message_class))
    if held_until is not None:
        held_until = spread(held_until, key=player_id, minutes=policy.release_spread_minutes)
    permit = Permit(
        **common,
        contact_point=found.point(channel),  # type: ignore[arg-type]
        source_kind=source_kind,
        source_id=source_id,
        policy_version=version,
        consent_event_id=found.cited_consent(channel, message_class),
        issued_at=at,
        not_before=held_until,
        seal=_SEAL,
    )
    return Decision(
        **common,
        allowed=True,
        reasons=(Reason.of("quiet_hours", until=held_until),) if held_until else (),
        policy_version=version,
        held_until=held_until,
        permit=permit,
    )


def decide(
    session: Session,
    *,
    player_id: int,
    channel: str,
    message_class: str,
    at: dt.datetime | None = None,
    source_kind: str = "system",
    source_id: str | None = None,
) -> Decision:
    """May a ``message_class`` message reach ``player_id`` on ``channel`` at ``at`` (default now)?

    The facts are the ones recorded now (the contactability row); ``at`` moves the clock of the rules that
    run out (an exclusion's end, a time-out, a cap window, quiet hours), so it means now or later. What was
    decided at a past moment is in the contact history."""
    require_known(channel=channel, message_class=message_class, source_kind=source_kind)
    at = _aware(at)
    version, policy = current_policy(session)
    found = player_facts.load(session, player_id=player_id)
    if found is None:
        raise UnknownPlayer("no player with id %(player_id)s", player_id=player_id)
    return _decided(
        session,
        found,
        channel=channel,
        message_class=message_class,
        at=at,
        version=version,
        policy=policy,
        source_kind=source_kind,
        source_id=source_id,
    )


def decide_channels(
    session: Session, *, player_id: int, message_class: str, at: dt.datetime | None = None
) -> dict[str, Decision]:
    """One decision per channel, on one read of the player's facts (the 360's "contactable on" panel)."""
    require_known(channel=CHANNELS[0], message_class=message_class)
    at = _aware(at)
    version, policy = current_policy(session)
    found = player_facts.load(session, player_id=player_id)
    if found is None:
        raise UnknownPlayer("no player with id %(player_id)s", player_id=player_id)
    return {
        channel: _decided(
            session,
            found,
            channel=channel,
            message_class=message_class,
            at=at,
            version=version,
            policy=policy,
            source_kind="system",
            source_id=None,
        )
        for channel in CHANNELS
    }
