"""All local gateways together, as ``lottocrm gateways`` and the demo run them: the SMSC, the SMTP sink and
the web push endpoint on loopback, each reporting what it receives to the sandbox outbox, and the
transports that reach them."""

from __future__ import annotations

import logging

from lottocrm.messaging.channels.base import Transport
from lottocrm.messaging.channels.email.settings import load_smtp_settings
from lottocrm.messaging.channels.email.transport import SmtpTransport
from lottocrm.messaging.channels.mobile_push.message import MESSAGE_ID_KEY
from lottocrm.messaging.channels.mobile_push.settings import load_fcm_settings
from lottocrm.messaging.channels.mobile_push.transport import FcmTransport
from lottocrm.messaging.channels.push_router import PushRouter
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.channels.webpush.settings import load_webpush_settings
from lottocrm.messaging.channels.webpush.transport import WebPushTransport
from lottocrm.messaging.channels.webpush.vapid import generate_vapid_keys
from lottocrm.messaging.gateways.mail_status import MailStatusServer
from lottocrm.messaging.gateways.push_endpoint import PushEndpoint, ReceivedFcm, ReceivedPush
from lottocrm.messaging.gateways.smsc import LocalSmsc, ReceivedSms
from lottocrm.messaging.gateways.smtp_sink import ReceivedEmail, SmtpSink
from lottocrm.messaging.sandbox import SandboxRecorder

SYSTEM_ID, PASSWORD, SENDER = "lottocrm", "sandbox", "LOTTO"


# The SMTP library logs every command of every conversation, uvicorn every start: a demo's console or a
# gateway's terminal would drown in them.
QUIET_LOGGERS = ("mail.log", "uvicorn", "uvicorn.error")


class LocalGateways:
    """``await gateways.start()`` … ``await gateways.stop()``; ``transports()`` for a :class:`Sender`."""

    def __init__(self, recorder: SandboxRecorder | None = None, *, host: str = "127.0.0.1") -> None:
        self.recorder = recorder
        self.smsc = LocalSmsc(system_id=SYSTEM_ID, password=PASSWORD, host=host, on_received=self._sms)
        self.smtp = SmtpSink(host=host, on_received=self._email, keep_received=False)
        self.mail_status = MailStatusServer(self.smtp.index, host=host)
        self.push = PushEndpoint(
            host=host, on_received=self._push, keep_received=False, accept_any_fcm_token=True
        )
        # The sandbox's own VAPID key: a browser subscription made on the local endpoint takes pushes
        # signed with it (``LOTTOCRM_VAPID_PRIVATE_KEY`` for ``lottocrm dispatch``).
        self.vapid = generate_vapid_keys()

    async def start(self) -> None:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.smsc.start()
        await self.smtp.start()
        await self.mail_status.start()
        await self.push.start()

    async def stop(self) -> None:
        await self.push.stop()
        await self.mail_status.stop()
        await self.smtp.stop()
        self.smsc.stop()

    def transports(self) -> dict[str, Transport]:
        """Contact-policy channel → a transport to this gateway."""
        sms = SmppSettings(
            host=self.smsc.host,
            port=self.smsc.port,
            system_id=SYSTEM_ID,
            password=PASSWORD,
            source_addr=SENDER,
        )
        email = load_smtp_settings(
            smtp_host=self.smtp.host, smtp_port=self.smtp.port, smtp_status_url=self.mail_status.url
        )
        # An app's pushes go by FCM (its device identity is its token), a browser's by web push.
        push = load_fcm_settings(
            fcm_project="lottocrm-sandbox",
            fcm_access_token=self.push.fcm_access_token,
            fcm_endpoint=self.push.fcm_endpoint,
        )
        web = load_webpush_settings(vapid_private_key=self.vapid.private_key)
        return {
            "sms": SmppTransport(settings=sms),
            "email": SmtpTransport(settings=email),
            "push": PushRouter(web=WebPushTransport(settings=web), app=FcmTransport(settings=push)),
        }

    def _sms(self, received: ReceivedSms) -> None:
        if self.recorder is not None:
            detail = {"parts": received.parts, "provider_id": received.provider_id, "sender": received.sender}
            self.recorder.record("sms", recipient=received.recipient, text=received.text, detail=detail)

    def _email(self, received: ReceivedEmail) -> None:
        if self.recorder is not None:
            for recipient in received.recipients:
                detail = {
                    "message_id": received.message_id,
                    "unsubscribe": received.header("List-Unsubscribe"),
                }
                self.recorder.record(
                    "email", recipient=recipient, text=received.text, subject=received.subject, detail=detail
                )

    def _push(self, received: ReceivedPush | ReceivedFcm) -> None:
        if self.recorder is not None:
            if isinstance(received, ReceivedPush):
                self.recorder.record(
                    "push", recipient=received.endpoint, text=received.payload.decode("utf-8")
                )
            else:
                notification = received.message.get("notification", {})
                # Our outbox id rides in the message's data (as it does to the app): the sandbox page and a
                # test can tell which message arrived, as the SMTP sink's Message-ID tells for e-mail.
                outbox_id = received.message.get("data", {}).get(MESSAGE_ID_KEY)
                self.recorder.record(
                    "push",
                    recipient=received.token,
                    subject=notification.get("title"),
                    text=notification.get("body", ""),
                    detail={"message_id": outbox_id} if outbox_id else None,
                )
