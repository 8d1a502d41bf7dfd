"""Personas and a small player base, built through the real services."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pyarrow as pa
from sqlalchemy import Engine

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.audit.service import Actor
from lottocrm.auth.models import ROLES, User
from lottocrm.auth.passwords import hash_password
from lottocrm.catalog.models import Game
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.players import consents
from lottocrm.players import service as players
from lottocrm.players.models import Player, ResponsibleGaming

PASSWORD = "correct horse battery"
# Setup data arrives as an import would: a machine actor, no reasons asked.
IMPORT = Actor("import:tests")
UTC = dt.UTC


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Argon2 is slow by design; one hash shared by every persona keeps the suite fast.
    return hash_password(PASSWORD)


def make_users(engine: Engine) -> None:
    """One user per role, named after the role; all share PASSWORD."""
    now = dt.datetime.now(UTC)
    with transaction(engine) as session:
        session.add_all(
            [
                User(
                    username=role,
                    display_name=role.title(),
                    role=role,
                    password_hash=_password_hash(),
                    disabled=False,
                    failed_logins=0,
                    locale="ru",
                    created_at=now,
                    password_changed_at=now,
                )
                for role in ROLES
            ]
        )


def _player(
    pid: int, last: str, first: str, middle: str | None, registered: dt.datetime, **extra: object
) -> Player:
    full = " ".join(p for p in (last, first, middle) if p)
    return Player(
        id=pid,
        last_name=last,
        first_name=first,
        middle_name=middle,
        search_name=" ".join(full.lower().replace("ё", "е").split()),
        birth_date=dt.date(1980, 5, 17),
        gender="M",
        region="RU-MOW",
        registered_at=registered,
        registration_channel="website",
        age_verified=True,
        under_age=False,
        status="active",
        created_at=registered,
        **extra,
    )


def make_players(engine: Engine) -> None:
    """Three players: Фёдоров (phone, e-mail, card, consents), Иванова (self-excluded), Петров."""
    t0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    with transaction(engine) as session:
        session.add_all(
            [
                Game(
                    id=1,
                    code="rusloto",
                    name="Русское лото",
                    kind="draw",
                    ticket_price_kopecks=10000,
                    active=True,
                ),
                Game(
                    id=2,
                    code="instant",
                    name="Моментальная",
                    kind="instant",
                    ticket_price_kopecks=5000,
                    active=True,
                ),
            ]
        )
        session.add_all(
            [
                _player(1001, "Фёдоров", "Пётр", "Алексеевич", t0),
                _player(1002, "Иванова", "Мария", "Сергеевна", t0 + dt.timedelta(days=40)),
                _player(1003, "Петров", "Иван", None, t0 + dt.timedelta(days=70)),
            ]
        )
        session.flush()
        players.add_identity(session, actor=IMPORT, player_id=1001, kind="phone", value="+7 916 123-45-12")
        players.add_identity(
            session, actor=IMPORT, player_id=1001, kind="email", value="Petr.Fedorov@mail.ru"
        )
        players.add_identity(session, actor=IMPORT, player_id=1001, kind="card", value="9643100012345678")
        players.add_identity(session, actor=IMPORT, player_id=1002, kind="phone", value="8 (903) 555-44-33")
        for purpose, channel in (("personal_data", "web"), ("advertising", "sms"), ("advertising", "email")):
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=1001,
                purpose=purpose,
                channel=channel,
                granted=True,
                source="website",
                notice_version="v1",
                occurred_at=t0,
            )
        session.add(
            ResponsibleGaming(
                player_id=1002,
                self_excluded_until=dt.date(2099, 1, 1),
                flags=["self_exclusion"],
                note="по заявлению игрока",
                updated_at=t0,
            )
        )


def make_lake(lake: Lake) -> None:
    """Tickets for players 1001 and 1003 over several months, plus one anonymous retail ticket, and a win."""
    rows = []
    ticket_id = 1
    for month in range(1, 7):
        for pid, count in ((1001, 3), (1003, 1 if month < 3 else 0)):
            for k in range(count):
                rows.append(
                    {
                        "ticket_id": ticket_id,
                        "player_id": pid,
                        "game_id": 1 + (k % 2),
                        "draw_id": None,
                        "channel": "website" if k % 2 else "retail_kiosk",
                        "pos_id": None,
                        "region": "RU-MOW",
                        "price_kopecks": 10000 if k % 2 == 0 else 5000,
                        "sold_at": dt.datetime(2026, month, 10 + k, 12, 0, tzinfo=UTC),
                    }
                )
                ticket_id += 1
    rows.append(
        {
            "ticket_id": ticket_id,
            "player_id": None,
            "game_id": 1,
            "draw_id": None,
            "channel": "post_office",
            "pos_id": None,
            "region": "RU-SPE",
            "price_kopecks": 10000,
            "sold_at": dt.datetime(2026, 3, 1, 12, tzinfo=UTC),
        }
    )
    lake.append("tickets", pa.Table.from_pylist(rows), batch_id="web-test-tickets")
    lake.append(
        "wins",
        pa.Table.from_pylist(
            [
                {
                    "win_id": 1,
                    "ticket_id": 1,
                    "player_id": 1001,
                    "game_id": 1,
                    "draw_id": None,
                    "prize_tier": 3,
                    "amount_kopecks": 150000,
                    "won_at": dt.datetime(2026, 1, 12, tzinfo=UTC),
                    "claimed": True,
                    "claimed_at": dt.datetime(2026, 1, 13, tzinfo=UTC),
                }
            ]
        ),
        batch_id="web-test-wins",
    )


def analytics_record(player_id: int, as_of: dt.date, segment: str, monetary_kopecks: int) -> PlayerAnalytics:
    """A player_analytics row as `lottocrm mart` writes it: bought 3 days before as_of, 12 purchase days."""
    return PlayerAnalytics(
        as_of=as_of,
        player_id=player_id,
        region="77",
        days_since_registration=120,
        first_purchase_on=dt.date(2026, 1, 12),
        last_purchase_on=as_of - dt.timedelta(days=3),
        recency_days=3,
        tenure_days=100,
        frequency=12,
        tickets=30,
        monetary_kopecks=monetary_kopecks,
        average_check_kopecks=monetary_kopecks // 12,
        spend_30d_kopecks=50_000,
        spend_90d_kopecks=1_500_000,
        spend_trend_30d=1.25,
        favourite_game_id=1,
        favourite_game_share=0.8,
        wins_count=0,
        wins_kopecks=0,
        segment=segment,
        r_level=5,
        f_level=4,
        m_level=3,
    )
