"""Letting a campaign past the caps: a right of some roles, given and taken back on the record.

An exemption lifts the caps only. Responsible gaming and age (the hard stops), consent, a missing or
unreachable address and quiet hours still apply; the messages still take their places in the cap ledger, so
they count against the next campaign's caps.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import record as audit
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_policy.errors import ContactPolicyError
from lottocrm.contact_policy.models import SOURCE_KINDS, CapExemption

Source = tuple[str, str]


class ExemptionRefused(ContactPolicyError):
    code, http_status = "cap_exemption_refused", 403


def _checked(principal: Principal, source_kind: str, source_id: str, reason: str) -> str:
    if not principal.can(Permission.POLICY_EXEMPT_CAPS):
        raise ExemptionRefused("the role %(role)s may not exempt messages from the caps", role=principal.role)
    if source_kind not in SOURCE_KINDS:
        raise ContactPolicyError("unknown source of messages %(source_kind)r", source_kind=source_kind)
    if not source_id.strip():
        raise ContactPolicyError("name the %(source_kind)s to exempt", source_kind=source_kind)
    if not reason.strip():
        raise ContactPolicyError("say why the caps do not apply: a reason is required")
    return reason.strip()[:500]


def _active(session: Session, source_kind: str, source_id: str) -> CapExemption | None:
    return session.scalars(
        select(CapExemption).where(
            CapExemption.source_kind == source_kind,
            CapExemption.source_id == source_id,
            CapExemption.revoked_at.is_(None),
        )
    ).first()


def exempt_from_caps(
    session: Session, *, principal: Principal, ip: str | None, source_kind: str, source_id: str, reason: str
) -> CapExemption:
    """Let the messages of ``source_kind``/``source_id`` past the caps. Idempotent while active."""
    why = _checked(principal, source_kind, source_id, reason)
    if (found := _active(session, source_kind, source_id)) is not None:
        return found
    exemption = CapExemption(
        source_kind=source_kind,
        source_id=source_id,
        reason=why,
        granted_by=principal.actor,
        granted_at=clock.now(),
    )
    session.add(exemption)
    session.flush()
    audit(
        session,
        actor=principal.acting(ip),
        action="contact_policy.cap_exemption",
        detail={"source_kind": source_kind, "source_id": source_id, "reason": why, "exemption": exemption.id},
    )
    return exemption


def revoke_exemption(
    session: Session, *, principal: Principal, ip: str | None, source_kind: str, source_id: str, reason: str
) -> bool:
    """End the exemption (False: there was none); the caps apply again from the next message."""
    why = _checked(principal, source_kind, source_id, reason)
    found = _active(session, source_kind, source_id)
    if found is None:
        return False
    found.revoked_at, found.revoked_by = clock.now(), principal.actor
    audit(
        session,
        actor=principal.acting(ip),
        action="contact_policy.cap_exemption_revoked",
        detail={"source_kind": source_kind, "source_id": source_id, "reason": why, "exemption": found.id},
    )
    return True


def exempted(session: Session, sources: Iterable[tuple[str, str | None]]) -> set[Source]:
    """Which of ``sources`` are exempt from the caps now (one query for a dispatcher's batch)."""
    wanted = sorted({(kind, ident) for kind, ident in sources if ident is not None})
    if not wanted:
        return set()
    rows = session.execute(
        select(CapExemption.source_kind, CapExemption.source_id).where(
            tuple_(CapExemption.source_kind, CapExemption.source_id).in_(wanted),
            CapExemption.revoked_at.is_(None),
        )
    )
    return {(kind, ident) for kind, ident in rows}
