"""Mobile push: :class:`FcmTransport` (the FCM HTTP v1 API) and its settings."""

from lottocrm.messaging.channels.mobile_push.message import MESSAGE_ID_KEY, fcm_request
from lottocrm.messaging.channels.mobile_push.settings import FcmSettings, load_fcm_settings
from lottocrm.messaging.channels.mobile_push.transport import FcmTransport

__all__ = ["MESSAGE_ID_KEY", "FcmSettings", "FcmTransport", "fcm_request", "load_fcm_settings"]
