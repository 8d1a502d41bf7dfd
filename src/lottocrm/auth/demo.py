"""Demo accounts: one user per role with a fresh random password, printed for the person trying lottocrm.

Called at the end of ``lottocrm demo``::

    from lottocrm.auth.demo import create_demo_users, print_demo_users
    users = create_demo_users(get_engine(settings))
    print_demo_users(users, url="http://127.0.0.1:8000/", echo=say)

Re-running resets the demo users' passwords (and unlocks them), so the printed credentials always work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES, User
from lottocrm.auth.passwords import generate_password
from lottocrm.db.engine import transaction

DEMO_PREFIX = "demo-"
DISPLAY_NAMES = {
    "operator": "Ольга Операторова",
    "supervisor": "Сергей Супервайзеров",
    "marketer": "Марина Маркетова",
    "approver": "Пётр Утверждающий",
    "analyst": "Андрей Аналитиков",
    "admin": "Анна Админова",
    "data_steward": "Дарья Данилова",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str


def create_demo_users(engine: Engine) -> list[DemoUser]:
    """Create (or reset) ``demo-<role>`` for every role; returns the credentials."""
    users = []
    with transaction(engine) as session:
        for role in ROLES:
            username, password = f"{DEMO_PREFIX}{role}", generate_password()
            existing = session.scalar(select(User).where(User.username == username))
            if existing is None:
                auth.create_user(
                    session,
                    actor=Actor.console(),
                    username=username,
                    role=role,
                    password=password,
                    display_name=DISPLAY_NAMES[role],
                )
            else:
                auth.reset_password(session, actor=Actor.console(), username=username, password=password)
                existing.disabled = False
            users.append(DemoUser(username=username, role=role, password=password))
    return users


def print_demo_users(users: list[DemoUser], *, url: str, echo: Callable[[str], None] = print) -> None:
    echo(f"sign in at {url}login with any of these demo accounts:")
    for user in users:
        echo(f"  {user.role:<11} {user.username:<17} {user.password}")
