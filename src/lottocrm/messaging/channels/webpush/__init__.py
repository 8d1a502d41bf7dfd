"""Web push: :class:`WebPushTransport` (VAPID, aes128gcm), its settings and VAPID key generation."""

from lottocrm.messaging.channels.webpush.settings import WebPushSettings, load_webpush_settings
from lottocrm.messaging.channels.webpush.subscription import InvalidSubscription, parse_subscription
from lottocrm.messaging.channels.webpush.transport import WebPushTransport, push_payload
from lottocrm.messaging.channels.webpush.vapid import (
    VapidKeyPair,
    application_server_key,
    generate_vapid_keys,
)

__all__ = [
    "InvalidSubscription",
    "VapidKeyPair",
    "WebPushSettings",
    "WebPushTransport",
    "application_server_key",
    "generate_vapid_keys",
    "load_webpush_settings",
    "parse_subscription",
    "push_payload",
]
