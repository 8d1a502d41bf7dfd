"""E-mail over SMTP: :class:`SmtpTransport`, its settings, and the reading of bounces and complaints."""

from lottocrm.messaging.channels.email.bounces import BounceParseError, parse_report
from lottocrm.messaging.channels.email.compose import message_id_from_header
from lottocrm.messaging.channels.email.settings import SmtpSettings, load_smtp_settings
from lottocrm.messaging.channels.email.transport import SmtpTransport

__all__ = [
    "BounceParseError",
    "SmtpSettings",
    "SmtpTransport",
    "load_smtp_settings",
    "message_id_from_header",
    "parse_report",
]
