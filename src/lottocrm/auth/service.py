"""Users, sign-in with lock-out, server-side sessions and API keys. The caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.auth.models import ROLES, ApiKey, LoginFailure, User, WebSession
from lottocrm.auth.passwords import hash_password, verify_password
from lottocrm.auth.permissions import API_KEY_SCOPES, MASKED_ROLES, ROLE_PERMISSIONS, Permission
from lottocrm.errors import Conflict, NotFound, ServiceError, Term
from lottocrm.security.api_keys import api_key_matches, generate_api_key, key_prefix

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_IDLE = dt.timedelta(minutes=30)
SESSION_ABSOLUTE = dt.timedelta(hours=12)
# Per client address: this many failed sign-ins within the window and the address must wait. Counted in the
# database, so every worker process sees the same failures; the per-account lock-out above stops guessing
# one password, this stops one address spraying guesses over many accounts.
ADDRESS_FAILURE_LIMIT = 20
ADDRESS_FAILURE_WINDOW = dt.timedelta(minutes=5)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AuthError(ServiceError):
    """A refused account operation, with a message fit for the person who asked."""

    code = "account_refused"


class UnknownAccount(AuthError, NotFound):
    code = "account_not_found"


class LastAdmin(AuthError, Conflict):
    """The change would leave no enabled admin, and so no one to manage accounts from the web."""

    code = "last_admin"


class ConfirmationRequired(AuthError, Conflict):
    """An admin about to lock themselves out (disable or demote their own account) must say so."""

    code = "confirmation_required"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or a machine key. ``actor`` is what the audit log records."""

    actor: str
    role: str | None
    permissions: frozenset[Permission]
    user_id: int | None = None
    display_name: str = ""
    locale: str = "ru"
    csrf_token: str | None = None

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES or self.role is None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def acting(self, ip: str | None) -> Actor:
        """The actor services record for what this principal does from ``ip``."""
        return Actor(self.actor, ip)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise AuthError("username: 2–64 characters, latin letters, digits, '.', '_' or '-'")
    return name


# ---- accounts -------------------------------------------------------------------------------------------
def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    locale: str = "ru",
) -> User:
    name = normalise_username(username)
    _check_role(role)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AuthError("user %(username)r already exists", username=name)
    now = _now()
    user = User(
        username=name,
        display_name=display_name or name,
        role=role,
        password_hash=hash_password(password),
        disabled=False,
        failed_logins=0,
        locale=locale,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", detail={"username": user.username, "role": user.role})
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AuthError(
            "unknown role %(role)r; roles: %(roles)s", role=role, roles=tuple(Term(name) for name in ROLES)
        )


def _existing_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise UnknownAccount("no user %(username)r", username=username)
    return user


def _is_self(actor: Actor, user: User) -> bool:
    return actor.name == f"user:{user.username}"


def _keep_an_enabled_admin(session: Session, user: User) -> None:
    """Refuse a change that takes ``user`` out of the enabled admins when no other is left.

    The enabled admins are locked while counted, so two admins disabling each other at once cannot both
    pass the check (SQLite serialises writers anyway)."""
    if user.role != "admin" or user.disabled:
        return
    admins = session.scalars(
        select(User.id).where(User.role == "admin", User.disabled.is_(False)).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise LastAdmin(
            "%(username)s is the last enabled admin: create or enable another admin first",
            username=user.username,
        )


def _sign_out_everywhere(session: Session, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def disable_user(session: Session, *, actor: Actor, username: str, confirm_self: bool = False) -> User:
    """Disable an account and end its sessions. Never the last enabled admin; an admin's own account only
    with ``confirm_self`` (they are signed out and only another admin can enable it again)."""
    user = _existing_user(session, username)
    if user.disabled:
        return user
    _keep_an_enabled_admin(session, user)
    if _is_self(actor, user) and not confirm_self:
        raise ConfirmationRequired(
            "this is your own account: you will be signed out and only another admin can enable it again"
        )
    user.disabled = True
    _sign_out_everywhere(session, user)
    record(session, actor=actor, action="user.disable", detail={"username": user.username})
    return user


def enable_user(session: Session, *, actor: Actor, username: str) -> User:
    """Let a disabled account sign in again, with the password it has (reset it if it was compromised)."""
    user = _existing_user(session, username)
    if not user.disabled:
        return user
    user.disabled = False
    user.failed_logins = 0
    user.locked_until = None
    record(session, actor=actor, action="user.enable", detail={"username": user.username})
    return user


def change_role(
    session: Session, *, actor: Actor, username: str, role: str, confirm_self: bool = False
) -> User:
    """Give an account another role (its sessions take it from the next request). Never demotes the last
    enabled admin; an admin's own demotion needs ``confirm_self``."""
    _check_role(role)
    user = _existing_user(session, username)
    if user.role == role:
        return user
    if role != "admin":
        _keep_an_enabled_admin(session, user)
        if _is_self(actor, user) and user.role == "admin" and not confirm_self:
            raise ConfirmationRequired(
                "you are taking the admin role from your own account: you will no longer manage accounts"
            )
    before = user.role
    user.role = role
    record(
        session,
        actor=actor,
        action="user.change_role",
        detail={"username": user.username, "from": before, "to": role},
    )
    return user


def unlock_user(session: Session, *, actor: Actor, username: str) -> User:
    """Lift the lock-out after too many wrong passwords (it would also lift by itself after LOCKOUT)."""
    user = _existing_user(session, username)
    if user.locked_until is None and user.failed_logins == 0:
        return user
    user.failed_logins = 0
    user.locked_until = None
    record(session, actor=actor, action="user.unlock", detail={"username": user.username})
    return user


def reset_password(session: Session, *, actor: Actor, username: str, password: str) -> User:
    """New password, lock-out cleared, every open session of the user signed out. A disabled account stays
    disabled (``enable_user`` lets it in again): a reset is not a way around who disabled it and why."""
    user = _existing_user(session, username)
    user.password_hash = hash_password(password)
    user.password_changed_at = _now()
    user.failed_logins = 0
    user.locked_until = None
    _sign_out_everywhere(session, user)
    record(session, actor=actor, action="user.reset_password", detail={"username": user.username})
    return user


# ---- sign-in ----------------------------------------------------------------------------------------------
def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The user if the password is right and the account usable; None otherwise, for every reason alike.

    The hash is verified even for unknown or locked accounts so the answer takes the same time, and the
    failure counter of a real account grows on each miss until it locks for ``LOCKOUT``.
    """
    user = session.scalar(select(User).where(User.username == username.strip().lower()[:64]))
    valid = verify_password(password[:256], user.password_hash if user else None)
    if user is None:
        return None
    now = _now()
    locked = user.locked_until is not None and user.locked_until > now
    if not valid:
        if not locked:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
        return None
    if locked or user.disabled:
        return None
    user.failed_logins = 0
    user.locked_until = None
    return user


def start_session(session: Session, *, user: User, ip: str | None, previous_token: str | None) -> str:
    """A fresh session token for ``user``; the session the browser had before (if any) is destroyed.
    The sign-in is audited as the user's own action."""
    if previous_token:
        session.execute(delete(WebSession).where(WebSession.token_digest == _digest(previous_token)))
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(
        WebSession(
            token_digest=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_ABSOLUTE,
            ip=ip,
        )
    )
    session.flush()
    record(session, actor=Actor(f"user:{user.username}", ip), action="auth.login")
    return token


def principal_for_user(user: User, csrf_token: str | None) -> Principal:
    return Principal(
        actor=f"user:{user.username}",
        role=user.role,
        permissions=ROLE_PERMISSIONS[user.role],
        user_id=user.id,
        display_name=user.display_name,
        locale=user.locale,
        csrf_token=csrf_token,
    )


def resolve_session(session: Session, *, token: str) -> Principal | None:
    """The principal behind a session cookie, or None if it is unknown, expired, idle too long or disabled."""
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None:
        return None
    now = _now()
    user = session.get(User, row.user_id)
    if row.expires_at <= now or row.last_seen_at + SESSION_IDLE <= now or user is None or user.disabled:
        session.delete(row)
        return None
    # Touch at most once a minute: a page view should not always cost a write.
    if now - row.last_seen_at > dt.timedelta(minutes=1):
        row.last_seen_at = now
    return principal_for_user(user, row.csrf_token)


def end_session(session: Session, *, actor: Actor, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_digest == _digest(token)))
    record(session, actor=actor, action="auth.logout")


def address_blocked(session: Session, *, ip: str, now: dt.datetime | None = None) -> bool:
    """Whether ``ip`` has used up its failed sign-ins for the current window."""
    since = (now or _now()) - ADDRESS_FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.ip == ip[:45], LoginFailure.occurred_at > since)
    )
    return (failures or 0) >= ADDRESS_FAILURE_LIMIT


def record_login_failure(session: Session, *, ip: str) -> None:
    session.add(LoginFailure(ip=ip[:45], occurred_at=_now()))


@dataclass(frozen=True)
class Purged:
    sessions: int
    login_failures: int


def purge_expired(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> Purged:
    """Delete sessions past their absolute or idle expiry and failed sign-ins older than the window.

    ``resolve_session`` already refuses such sessions; this removes the rows of browsers that never came
    back, so the table holds only live sessions.
    """
    now = now or _now()
    sessions = session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at <= now, WebSession.last_seen_at <= now - SESSION_IDLE)
        )
    ).rowcount
    failures = session.execute(
        delete(LoginFailure).where(LoginFailure.occurred_at <= now - ADDRESS_FAILURE_WINDOW)
    ).rowcount
    purged = Purged(sessions=sessions or 0, login_failures=failures or 0)
    if purged.sessions or purged.login_failures:
        record(
            session,
            actor=actor,
            action="auth.purge_sessions",
            detail={"sessions": purged.sessions, "login_failures": purged.login_failures},
        )
    return purged


# ---- API keys ---------------------------------------------------------------------------------------------
def create_api_key(session: Session, *, actor: Actor, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is returned once and never stored."""
    unknown = sorted(set(scopes) - {str(s) for s in API_KEY_SCOPES})
    if unknown or not scopes:
        raise AuthError(
            "choose the scopes of the key among %(scopes)s",
            scopes=tuple(Term(scope) for scope in sorted(API_KEY_SCOPES)),
        )
    if not name.strip() or len(name) > 100:
        raise AuthError("key name: 1–100 characters")
    new = generate_api_key("api")
    key = ApiKey(
        prefix=new.prefix, digest=new.digest, name=name.strip(), scopes=sorted(set(scopes)), created_at=_now()
    )
    session.add(key)
    session.flush()
    record(
        session,
        actor=actor,
        action="apikey.create",
        detail={"prefix": key.prefix, "name": key.name, "scopes": key.scopes},
    )
    return key, new.secret


def revoke_api_key(session: Session, *, actor: Actor, prefix: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise UnknownAccount("no API key with prefix %(prefix)r", prefix=prefix)
    key.revoked_at = key.revoked_at or _now()
    record(session, actor=actor, action="apikey.revoke", detail={"prefix": prefix})
    return key


def resolve_api_key(session: Session, *, secret: str) -> Principal | None:
    prefix = key_prefix(secret) if len(secret) < 200 else None
    if prefix is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not api_key_matches(secret, key.digest):
        return None
    key.last_used_at = _now()
    return Principal(
        actor=f"apikey:{key.prefix}", role=None, permissions=frozenset(Permission(s) for s in key.scopes)
    )
