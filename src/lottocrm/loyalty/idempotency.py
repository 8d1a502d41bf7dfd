"""Idempotency keys for till calls, claimed in the same transaction as the call's effect.

The key row is inserted *first*, before any member lock: a concurrent retry with the same key then waits on
that insert, and once the first call commits it finds the key taken and replays the stored answer instead
of acting twice. If the first call fails, its transaction (key row included) rolls back and a retry runs
afresh — refusals are not remembered, so a till may retry an "insufficient points" after a top-up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.models import IdempotencyRecord

MAX_KEY_LENGTH = 100

# Built once per dialect and run on the session's Connection: these run twice on every till call.
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


class IdempotencyConflict(LoyaltyError):
    code, http_status = "idempotency_conflict", 409


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


def request_hash(path: str, body: dict[str, Any]) -> str:
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def claim(
    session: Session, *, partner_id: int, key: str, fingerprint: str, now: dt.datetime
) -> Replay | None:
    """Take the key for this call (None: go ahead) or return the first call's answer to replay."""
    connection = session.connection()
    claimed = connection.execute(
        _CLAIM[connection.dialect.name],
        {
            "partner_id": partner_id,
            "key": key,
            "request_hash": fingerprint,
            "status_code": 0,
            "response": {},
            "created_at": now,
        },
    ).scalar_one_or_none()
    if claimed is not None:
        return None
    first = connection.execute(_FIRST_ANSWER, {"partner_id": partner_id, "key": key}).one()
    if first.request_hash != fingerprint:
        raise IdempotencyConflict(f"idempotency key {key!r} was already used for a different request")
    return Replay(status_code=first.status_code, response=first.response)


def remember(
    session: Session, *, partner_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    session.connection().execute(
        _REMEMBER,
        {"match_partner_id": partner_id, "match_key": key, "status_code": status_code, "response": response},
    )
