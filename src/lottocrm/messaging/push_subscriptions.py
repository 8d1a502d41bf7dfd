"""Browsers' push subscriptions: registered by the website for a player, each one a "device" identity of the
player, so the gate has a push contact point and the dispatcher knows where to send.

The identity's value is not the subscription itself (its JSON runs to hundreds of characters and its keys can
be renewed) but ``webpush:`` and a digest of the endpoint; the row here keeps the endpoint and keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.messaging.channels.webpush.subscription import InvalidSubscription, parse_subscription
from lottocrm.messaging.models import WebPushSubscription
from lottocrm.messaging.service import MessagingError
from lottocrm.players import service as players

WEBPUSH_PREFIX = "webpush:"
MAX_LABEL = 200


class InvalidPushSubscription(MessagingError):
    code = "invalid_push_subscription"


def device_point(endpoint: str) -> str:
    """The player's device identity for a subscription: stable for its endpoint, short, not the URL."""
    digest = hashlib.sha256(endpoint.encode("utf-8")).digest()[:24]
    return WEBPUSH_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")


def is_webpush_point(contact_point: str) -> bool:
    return contact_point.startswith(WEBPUSH_PREFIX)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def register(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    subscription: dict[str, object],
    label: str | None = None,
) -> WebPushSubscription:
    """Store the browser's ``PushSubscription.toJSON()`` for the player and add its device identity. The same
    endpoint again renews its keys and label (a browser re-subscribing); another player's is refused."""
    try:
        parsed = parse_subscription(json.dumps(subscription))
    except InvalidSubscription as exc:
        raise InvalidPushSubscription("push subscription refused: %(problem)s", problem=str(exc)) from None
    label = (label or "").strip()[:MAX_LABEL] or None
    device = device_point(parsed.endpoint)
    players.add_identity(
        session, actor=actor, player_id=player_id, kind="device", value=device, verified=True
    )
    row = session.scalar(select(WebPushSubscription).where(WebPushSubscription.device == device))
    now = clock.now()
    if row is None:
        row = WebPushSubscription(
            player_id=player_id, device=device, endpoint=parsed.endpoint, created_at=now
        )
        session.add(row)
    row.p256dh, row.auth, row.label, row.gone_at = _b64url(parsed.p256dh), _b64url(parsed.auth), label, None
    session.flush()
    audit(
        session,
        actor=actor,
        action="messaging.push_subscription",
        player_id=player_id,
        detail={"device": device, "label": label},
    )
    return row


def as_address(row: WebPushSubscription) -> str:
    """The subscription as the web push transport takes it (``OutgoingMessage.to``)."""
    return json.dumps({"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}})


def addresses(session: Session, points: Iterable[str]) -> dict[str, str]:
    """Device point → the subscription to send to, for the web push points among ``points`` (one query)."""
    wanted = sorted({point for point in points if is_webpush_point(point)})
    if not wanted:
        return {}
    rows = session.scalars(select(WebPushSubscription).where(WebPushSubscription.device.in_(wanted)))
    return {row.device: as_address(row) for row in rows}


def mark_gone(session: Session, *, device: str, at: dt.datetime) -> None:
    """The push service said the subscription no longer exists; the first report's time is kept."""
    session.execute(
        update(WebPushSubscription)
        .where(WebPushSubscription.device == device, WebPushSubscription.gone_at.is_(None))
        .values(gone_at=at)
    )


def device_of(address: str) -> str | None:
    """The device point of a subscription the transport names by its JSON (a gone report)."""
    try:
        endpoint = parse_subscription(address).endpoint
    except InvalidSubscription:
        return None
    return device_point(endpoint)
