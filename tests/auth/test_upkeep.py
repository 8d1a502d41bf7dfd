"""Expired sessions purged (CLI and the scheduled job); the sign-in rate limit shared by app instances."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from helpers.factories import PASSWORD
from helpers.web_app import BASE_URL
from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.jobs import PURGE_SESSIONS_KIND
from lottocrm.auth.models import LoginFailure, User, WebSession
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import make_engine, transaction
from lottocrm.jobs import schedules
from lottocrm.jobs.models import Job
from lottocrm.web.app import create_app

runner = CliRunner()


def _seed_sessions(engine) -> None:  # type: ignore[no-untyped-def]
    """One live session, one past its absolute expiry, one idle too long; and failed sign-ins old and new."""
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == "operator"))
        for digest, last_seen, expires in (
            ("live", now, now + dt.timedelta(hours=1)),
            ("expired", now - dt.timedelta(minutes=5), now - dt.timedelta(minutes=1)),
            ("idle", now - auth.SESSION_IDLE - dt.timedelta(minutes=1), now + dt.timedelta(hours=1)),
        ):
            session.add(
                WebSession(
                    token_digest=digest,
                    user_id=user_id,
                    csrf_token="x",
                    created_at=now - dt.timedelta(hours=2),
                    last_seen_at=last_seen,
                    expires_at=expires,
                )
            )
        session.add(LoginFailure(ip="203.0.113.9", occurred_at=now - dt.timedelta(hours=1)))
        session.add(LoginFailure(ip="203.0.113.9", occurred_at=now))


def _left(engine) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        digests = sorted(session.scalars(select(WebSession.token_digest)))
        return digests, session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_cli_purges_expired_sessions(seeded, engine) -> None:  # type: ignore[no-untyped-def]
    _seed_sessions(engine)
    result = runner.invoke(cli, ["user", "purge-sessions"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "purged 2 expired sessions and 1 old failed sign-ins" in result.output
    assert _left(engine) == (["live"], 1)
    assert "purged 0 expired sessions" in runner.invoke(cli, ["user", "purge-sessions"]).output


def test_the_scheduled_job_purges_expired_sessions(seeded, engine) -> None:  # type: ignore[no-untyped-def]
    _seed_sessions(engine)
    with transaction(engine) as session:
        schedules.save_schedule(
            session,
            actor=Actor("cli:ops"),
            name="purge-sessions",
            cron="*/15 * * * *",
            kind=PURGE_SESSIONS_KIND,
            now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20),
        )
    result = runner.invoke(cli, ["worker", "--once", "--poll-seconds", "0.05"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with transaction(engine) as session:
        job = session.scalars(select(Job).where(Job.kind == PURGE_SESSIONS_KIND)).one()
        assert job.status == "done"
    assert _left(engine) == (["live"], 1)


def _login(client: TestClient, username: str, password: str) -> int:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data).status_code


def test_two_app_instances_share_the_sign_in_rate_limit(seeded, engine) -> None:  # type: ignore[no-untyped-def]
    """Two apps with their own engines on one database stand for two uvicorn workers: failures counted by
    one block the address at the other, and the count lives in the database (clearing it unblocks)."""
    first, second = create_app(seeded), create_app(seeded)
    # get_engine caches per URL; a worker process has its own engine and pool, so give the second one its own.
    second.state.engine = make_engine(seeded.db_url)
    with (
        TestClient(first, base_url=BASE_URL, follow_redirects=False) as a,
        TestClient(second, base_url=BASE_URL, follow_redirects=False) as b,
    ):
        statuses = [_login(a if n % 2 else b, f"nobody{n}", "guess guess guess") for n in range(20)]
        assert statuses == [401] * 20
        assert _login(a, "operator", PASSWORD) == 429
        assert _login(b, "operator", PASSWORD) == 429
        with transaction(engine) as session:
            session.execute(LoginFailure.__table__.delete())
        assert _login(b, "operator", PASSWORD) == 303
    second.state.engine.dispose()
