"""``lottocrm gateways`` and ``lottocrm dispatch``: the local gateways for development, and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal

import typer

from lottocrm.cli.context import load_settings, say
from lottocrm.db.engine import get_engine


def gateways() -> None:
    """Run a local SMSC (SMPP), SMTP sink and web push endpoint on loopback until Ctrl-C; what they receive
    shows on the Sandbox page."""
    from lottocrm.messaging.gateways.local import PASSWORD, SENDER, SYSTEM_ID, LocalGateways
    from lottocrm.messaging.sandbox import SandboxRecorder

    engine = get_engine(load_settings())

    async def run() -> None:
        recorder = SandboxRecorder(engine)
        local = LocalGateways(recorder)
        await local.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        smsc = f"{local.smsc.host}:{local.smsc.port}"
        say(f"SMSC (SMPP 3.4)  {smsc}  system id {SYSTEM_ID}, password {PASSWORD}")
        say(f"SMTP sink        {local.smtp.host}:{local.smtp.port}  (message search {local.mail_status.url})")
        say(f"web push         {local.push.base_url}")
        say("calls            need no gateway: `lottocrm dispatch` files them on the call list (/call-list)")
        say("point `lottocrm dispatch` at them (Ctrl-C stops the gateways):", markup=False)
        exports = {
            "LOTTOCRM_SMPP_HOST": local.smsc.host,
            "LOTTOCRM_SMPP_PORT": local.smsc.port,
            "LOTTOCRM_SMPP_SYSTEM_ID": SYSTEM_ID,
            "LOTTOCRM_SMPP_PASSWORD": PASSWORD,
            "LOTTOCRM_SMPP_SOURCE_ADDR": SENDER,
            "LOTTOCRM_SMTP_HOST": local.smtp.host,
            "LOTTOCRM_SMTP_PORT": local.smtp.port,
            "LOTTOCRM_SMTP_STATUS_URL": local.mail_status.url,
            "LOTTOCRM_FCM_PROJECT": "lottocrm-sandbox",
            "LOTTOCRM_FCM_ACCESS_TOKEN": local.push.fcm_access_token,
            "LOTTOCRM_FCM_ENDPOINT": local.push.fcm_endpoint,
            "LOTTOCRM_VAPID_PRIVATE_KEY": local.vapid.private_key,
        }
        typer.echo(" ".join(f"{name}={value}" for name, value in exports.items()))
        try:
            await stop.wait()
        finally:
            await local.stop()
            recorder.close()

    asyncio.run(run())


def dispatch(
    once: bool = typer.Option(False, "--once", help="Send what is due now, then exit."),
    lease_seconds: float = typer.Option(
        600.0,
        "--lease-seconds",
        min=0.0,
        help="A message still 'sending' after this long belongs to a dead sender: it is looked up at the "
        "provider (or left in doubt) before anything else is sent.",
    ),
) -> None:
    """Send queued messages through the channels configured by LOTTOCRM_SMPP_*, _SMTP_*, _FCM_* and _VAPID_*
    (see `lottocrm gateways` for local ones) until stopped; the contact policy is asked again for each."""
    from lottocrm.messaging.call_list.transport import CallListTransport
    from lottocrm.messaging.channels.email.settings import load_smtp_settings
    from lottocrm.messaging.channels.email.transport import SmtpTransport
    from lottocrm.messaging.channels.mobile_push.settings import load_fcm_settings
    from lottocrm.messaging.channels.mobile_push.transport import FcmTransport
    from lottocrm.messaging.channels.push_router import PushRouter
    from lottocrm.messaging.channels.sms.settings import smpp_settings_from_env
    from lottocrm.messaging.channels.sms.transport import SmppTransport
    from lottocrm.messaging.channels.webpush.settings import load_webpush_settings
    from lottocrm.messaging.channels.webpush.transport import WebPushTransport
    from lottocrm.messaging.sender import Sender

    engine = get_engine(load_settings())
    transports = {}
    if os.environ.get("LOTTOCRM_SMPP_HOST"):
        transports["sms"] = SmppTransport(settings=smpp_settings_from_env())
    if os.environ.get("LOTTOCRM_SMTP_HOST"):
        transports["email"] = SmtpTransport(settings=load_smtp_settings())
    # One push channel: browsers' subscriptions by web push, app tokens by FCM, whichever is configured.
    app = FcmTransport(settings=load_fcm_settings()) if os.environ.get("LOTTOCRM_FCM_PROJECT") else None
    web = (
        WebPushTransport(settings=load_webpush_settings())
        if os.environ.get("LOTTOCRM_VAPID_PRIVATE_KEY")
        else None
    )
    if app is not None or web is not None:
        transports["push"] = PushRouter(web=web, app=app)
    if not transports:
        say(
            "no SMS, e-mail or push channel is configured (LOTTOCRM_SMPP_HOST, LOTTOCRM_SMTP_HOST, "
            "LOTTOCRM_FCM_PROJECT, LOTTOCRM_VAPID_PRIVATE_KEY): only the call list is served",
            markup=False,
        )
    # Calls go to our own operator queue: always there, nothing to configure.
    transports["call"] = CallListTransport(engine)

    async def run() -> None:
        lease = dt.timedelta(seconds=lease_seconds)
        async with Sender(engine, transports) as sender:
            for channel, settled in (await sender.reconcile(lease=lease)).items():
                if settled.sent or settled.requeued or settled.in_doubt or settled.unanswered:
                    say(
                        f"{channel}: a stopped sender's messages: {settled.sent} taken by the provider, "
                        f"{settled.requeued} queued again, {settled.in_doubt} in doubt, "
                        f"{settled.unanswered} to ask again later"
                    )
            if once:
                for channel, report in (await sender.drain()).items():
                    say(
                        f"{channel}: {report.sent} sent, {report.retried} to retry, {report.failed} failed, "
                        f"{report.cancelled} stopped by the contact policy, {report.held} held (quiet hours)"
                    )
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(signum, stop.set)
            say(f"sending on {', '.join(transports)} until stopped (Ctrl-C)")
            await sender.run(stop, lease=lease)

    asyncio.run(run())
