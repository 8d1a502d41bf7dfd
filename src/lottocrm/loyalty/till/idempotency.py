"""Idempotency keys for till calls, claimed in the same transaction as the call's effect.

The key row is inserted *first*, before any member lock: a concurrent retry with the same key then waits on
that insert, and once the first call commits it finds the key taken and replays the stored answer instead
of acting twice.

The answer stored is the first *final* answer: a success, or a refusal for a business reason (unknown or
blocked card, insufficient points, hold expired, hold not open…). A refused call's effects are rolled back
to a savepoint taken just after the claim, and its refusal is committed under the key, so a retry with the
same key and body gets the same status and code without the rules being evaluated again — even if the
balance changed meanwhile; a till that wants a new attempt sends a new key. Not stored: refusals decided
before the key is claimed (bad input, bad API key, partner rights), the velocity limit (it says "retry
later", which must stay possible with the same key), and failures that are not refusals (the whole
transaction rolls back, key included, and a retry runs afresh).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import LoyaltyError, VelocityLimit
from lottocrm.loyalty.ledger.statements import Pending, Statements
from lottocrm.loyalty.models import IdempotencyRecord

MAX_KEY_LENGTH = 100
# Refusals that tell the till to come back later with the same call: remembering them would make that fail.
NOT_REMEMBERED: tuple[type[LoyaltyError], ...] = (VelocityLimit,)

# Built once per dialect: these run on every till call.
_CLAIM = {
    name: insert(IdempotencyRecord.__table__)
    .on_conflict_do_nothing(index_elements=["partner_id", "key"])
    .returning(IdempotencyRecord.key)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_FIRST_ANSWER = select(
    IdempotencyRecord.request_hash, IdempotencyRecord.status_code, IdempotencyRecord.response
).where(IdempotencyRecord.partner_id == bindparam("partner_id"), IdempotencyRecord.key == bindparam("key"))
_REMEMBER = (
    update(IdempotencyRecord.__table__)
    .where(
        IdempotencyRecord.partner_id == bindparam("match_partner_id"),
        IdempotencyRecord.key == bindparam("match_key"),
    )
    .values(status_code=bindparam("status_code"), response=bindparam("response"))
)
# The call's effects start here; a business refusal rolls back to it and keeps the claimed key.
_SAVEPOINT = text("SAVEPOINT till_call")
_BACK_TO_SAVEPOINT = text("ROLLBACK TO SAVEPOINT till_call")


class IdempotencyConflict(LoyaltyError):
    code, http_status = "idempotency_conflict", 409


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


def request_hash(path: str, body: dict[str, Any]) -> str:
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A queued claim of a key: the insert and the stored answer, read in the same round trip."""

    key: str
    fingerprint: str
    partner_id: int
    sql: Statements
    inserted: Pending
    first: Pending | None

    def replay(self) -> Replay | None:
        """None: the key is ours, go ahead. Else the first call's answer, or a conflict for another body."""
        if self.inserted.first() is not None:
            return None
        first = (
            self.first or self.sql.add(_FIRST_ANSWER, {"partner_id": self.partner_id, "key": self.key})
        ).one()
        if first.request_hash != self.fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {self.key!r} was already used for a different request"
            )
        return Replay(status_code=first.status_code, response=first.response)


def queue_claim(
    target: Session | Statements, *, partner_id: int, key: str, fingerprint: str, now: dt.datetime
) -> Claim:
    """Queue the claim of the key for this call; read it with :meth:`Claim.replay`."""
    sql = Statements.of(target)
    inserted = sql.add(
        _CLAIM[sql.connection.dialect.name],
        {
            "partner_id": partner_id,
            "key": key,
            "request_hash": fingerprint,
            "status_code": 0,
            "response": {},
            "created_at": now,
        },
    )
    # Read in the same round trip when statements are batched; otherwise only when the key is taken.
    first = sql.add(_FIRST_ANSWER, {"partner_id": partner_id, "key": key}) if sql.batched else None
    sql.add(_SAVEPOINT, {})
    return Claim(
        key=key, fingerprint=fingerprint, partner_id=partner_id, sql=sql, inserted=inserted, first=first
    )


def claim(
    target: Session | Statements, *, partner_id: int, key: str, fingerprint: str, now: dt.datetime
) -> Replay | None:
    """Take the key for this call (None: go ahead) or return the first call's answer to replay."""
    return queue_claim(target, partner_id=partner_id, key=key, fingerprint=fingerprint, now=now).replay()


def remember(
    target: Session | Statements, *, partner_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the call's answer under its key (queued: it leaves with the call's last writes)."""
    Statements.of(target).add(
        _REMEMBER,
        {"match_partner_id": partner_id, "match_key": key, "status_code": status_code, "response": response},
    )


def remember_refusal(
    target: Session | Statements, *, partner_id: int, key: str, refusal: LoyaltyError
) -> bool:
    """Undo the refused call's effects and store its refusal under the key; False for one not remembered."""
    if isinstance(refusal, NOT_REMEMBERED):
        return False
    sql = Statements.of(target)
    # Sent on its own, never inside a pipeline: psycopg answers a ROLLBACK by dropping every prepared
    # statement of the connection, and inside a pipeline that would also drop ones prepared in the same batch.
    sql.settled_session().connection().execute(_BACK_TO_SAVEPOINT)
    remember(
        sql, partner_id=partner_id, key=key, status_code=refusal.http_status, response=refusal_body(refusal)
    )
    return True


def refusal_body(refusal: LoyaltyError) -> dict[str, Any]:
    return {"error": {"code": refusal.code, "message": refusal.message}}
