"""Unsubscribe links: a signed token per message, and the withdrawal it records.

The token names the player, the channel and the message, signed with HMAC-SHA256 under the installation's
secret key, so nobody can withdraw another player's consent by editing a link. Using it records an
advertising withdrawal in the consent ledger (source ``unsubscribe_link``) and "unsubscribed" in the
contact history; a second use changes nothing. The same token serves RFC 8058's one-click POST, which mail
clients send without cookies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.errors import ServiceError
from lottocrm.messaging.history import record_for_message
from lottocrm.messaging.models import Message
from lottocrm.players.consents import current_consents, record_consent
from lottocrm.settings import Settings

VERSION = "1"
NOTICE = "unsubscribe-link"
SUBSCRIBER = Actor("job:messaging.unsubscribe")


class ForgedToken(ServiceError):
    code, http_status = "invalid_unsubscribe_link", 404


@dataclass(frozen=True)
class Unsubscribe:
    player_id: int
    channel: str
    message_id: int


def secret_key(settings: Settings) -> bytes:
    """The key links are signed with: the setting, else the data folder's (read once per folder, since
    every marketing e-mail the dispatcher sends asks for it)."""
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    # Keyed by the setting as written and the working directory it is relative to: resolving the path
    # for each message cost more than signing it.
    return _folder_key(str(settings.data_dir), os.getcwd())


@functools.lru_cache(maxsize=8)
def _folder_key(data_dir: str, cwd: str) -> bytes:
    path = (Path(cwd) / data_dir).resolve() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then renamed: two processes racing keep one key.
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(secrets.token_bytes(32))
        temporary.chmod(0o600)
        if not path.exists():
            temporary.replace(path)
        else:
            temporary.unlink()
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:16])


def make_token(key: bytes, *, player_id: int, channel: str, message_id: int) -> str:
    payload = f"{VERSION}.{player_id}.{channel}.{message_id}"
    return f"{payload}.{_signature(key, payload)}"


def read_token(key: bytes, token: str) -> Unsubscribe:
    """The link's content, or :class:`ForgedToken` for anything not signed by this installation."""
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != VERSION or not parts[1].isdigit() or not parts[3].isdigit():
        raise ForgedToken("this unsubscribe link is not valid")
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(_signature(key, payload), parts[4]):
        raise ForgedToken("this unsubscribe link is not valid")
    return Unsubscribe(player_id=int(parts[1]), channel=parts[2], message_id=int(parts[3]))


def link(settings: Settings, *, player_id: int, channel: str, message_id: int) -> str:
    token = make_token(secret_key(settings), player_id=player_id, channel=channel, message_id=message_id)
    return f"{settings.public_url.rstrip('/')}/unsubscribe/{token}"


def unsubscribe(session: Session, request: Unsubscribe) -> bool:
    """Withdraw the player's advertising consent on the link's channel; False when it was already
    withdrawn (nothing recorded again)."""
    state = current_consents(session, player_id=request.player_id).get(("advertising", request.channel))
    if state is not None and not state.granted:
        return False
    now = clock.now()
    record_consent(
        session,
        actor=SUBSCRIBER,
        player_id=request.player_id,
        purpose="advertising",
        channel=request.channel,
        granted=False,
        source="unsubscribe_link",
        notice_version=NOTICE,
        occurred_at=now,
    )
    message = session.get(Message, request.message_id)
    if message is not None and message.player_id == request.player_id:
        record_for_message(session, message, "unsubscribed", at=now)
    return True
