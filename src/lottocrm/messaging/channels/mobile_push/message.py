"""The FCM HTTP v1 request body for one message (``projects.messages.send``)."""

from __future__ import annotations

from typing import Any

from lottocrm.messaging.channels.base import OutgoingMessage

# The data key that carries our outbox id to the app, so an "opened" event can name the message.
MESSAGE_ID_KEY = "lottocrm_message_id"


def fcm_request(message: OutgoingMessage, *, ttl_seconds: int, priority: str) -> dict[str, Any]:
    """``{"message": {"token", "notification": {"title", "body"}, "data", "android"}}``; ``data`` values are
    strings, as FCM requires."""
    return {
        "message": {
            "token": message.to,
            "notification": {"title": message.subject or "", "body": message.body},
            "data": {**message.data, MESSAGE_ID_KEY: str(message.message_id)},
            "android": {"priority": priority.upper(), "ttl": f"{ttl_seconds}s"},
        }
    }
