"""A campaign let past the caps: only by a role with that right, on the record, and never past responsible
gaming, age or consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.auth.permissions import ROLE_PERMISSIONS
from lottocrm.auth.service import Principal
from lottocrm.contact_policy import exemptions, ledger, selection, service
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.errors import ContactPolicyError
from lottocrm.contact_policy.models import CapExemption, ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.players.responsible_gaming import change_responsible_gaming

# Wednesday 11 March 2026, 12:00 in Moscow: inside the sending hours.
NOON = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)


def _principal(role: str) -> Principal:
    return Principal(actor=f"user:{role}", role=role, permissions=ROLE_PERMISSIONS[role])


@pytest.fixture(autouse=True)
def _at_noon() -> Iterator[None]:
    with clock.frozen(NOON):
        yield


def _sms(session, player_id: int, campaign: str):  # type: ignore[no-untyped-def]
    return service.decide(
        session,
        player_id=player_id,
        channel="sms",
        message_class="marketing",
        at=NOON,
        source_kind="campaign",
        source_id=campaign,
    )


def _spend_the_daily_sms(engine: Engine, player_id: int) -> None:
    # The touch's message id: any number no other touch of the test uses.
    message_id = 1000 + player_id
    with transaction(engine) as session:
        permit = _sms(session, player_id, "earlier").permit
        assert permit is not None
        at = NOON - dt.timedelta(hours=1)
        assert ledger.reserve(session, permits=[(permit, message_id)], at=at) == {message_id: None}


def _audited(engine: Engine, action: str) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def test_a_role_without_the_right_cannot_exempt(engine: Engine) -> None:
    with transaction(engine) as session, pytest.raises(exemptions.ExemptionRefused) as refused:
        exemptions.exempt_from_caps(
            session,
            principal=_principal("marketer"),
            ip=None,
            source_kind="campaign",
            source_id="new-year",
            reason="the New Year draw",
        )
    assert refused.value.http_status == 403
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(CapExemption)) == 0
    assert _audited(engine, "contact_policy.cap_exemption") == 0


def test_an_exempted_campaign_passes_the_caps_and_nothing_else(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    capped, excluded = contactable(2)
    for player_id in (capped, excluded):
        _spend_the_daily_sms(engine, player_id)
    with transaction(engine) as session:
        change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=excluded,
            self_excluded_until=NOON.date() + dt.timedelta(days=30),
            monthly_spend_limit_kopecks=None,
        )
        assert _sms(session, capped, "new-year").blocked_by == "cap"
        exemptions.exempt_from_caps(
            session,
            principal=_principal("supervisor"),
            ip="10.0.0.7",
            source_kind="campaign",
            source_id="new-year",
            reason="the New Year draw: one more reminder",
        )
    assert _audited(engine, "contact_policy.cap_exemption") == 1
    with transaction(engine) as session:
        allowed = _sms(session, capped, "new-year")
        assert allowed.allowed, allowed.reasons
        # Another campaign is still capped, and the exemption never lifts a self-exclusion.
        assert _sms(session, capped, "spring").blocked_by == "cap"
        assert _sms(session, excluded, "new-year").blocked_by == "self_excluded"
        # The dispatcher's reservation lets it past the cap and still counts it.
        assert ledger.reserve(session, permits=[(allowed.permit, 2)], at=NOON) == {2: None}
        assert session.scalar(select(func.count()).where(ContactTouch.player_id == capped)) == 2
        audience = selection.eligible_select(
            channel="sms", message_class="marketing", at=NOON, policy=DEFAULT_POLICY, caps_exempt=True
        )
        assert {row.player_id for row in session.execute(audience)} == {capped}
        plain = selection.eligible_select(
            channel="sms", message_class="marketing", at=NOON, policy=DEFAULT_POLICY
        )
        assert {row.player_id for row in session.execute(plain)} == set()


def test_a_revoked_exemption_caps_again(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    (player,) = contactable(1)
    _spend_the_daily_sms(engine, player)
    supervisor = _principal("supervisor")
    arguments = {"principal": supervisor, "ip": None, "source_kind": "campaign", "source_id": "jackpot"}
    with transaction(engine) as session:
        exemptions.exempt_from_caps(session, **arguments, reason="record jackpot")
        assert _sms(session, player, "jackpot").allowed
        assert exemptions.revoke_exemption(session, **arguments, reason="the draw is over")
        assert _sms(session, player, "jackpot").blocked_by == "cap"
        assert not exemptions.revoke_exemption(session, **arguments, reason="again")
    assert _audited(engine, "contact_policy.cap_exemption_revoked") == 1


@pytest.mark.parametrize(
    ("source_kind", "source_id", "reason"),
    [("campaign", "x", "  "), ("campaign", " ", "why"), ("newsletter", "x", "why")],
)
def test_an_exemption_must_name_its_campaign_and_reason(
    engine: Engine, source_kind: str, source_id: str, reason: str
) -> None:
    with transaction(engine) as session, pytest.raises(ContactPolicyError):
        exemptions.exempt_from_caps(
            session,
            principal=_principal("supervisor"),
            ip=None,
            source_kind=source_kind,
            source_id=source_id,
            reason=reason,
        )
