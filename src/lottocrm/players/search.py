"""Find a player by whatever a caller gives: a phone in any format, an e-mail, a card number, a name, an id.

Every branch is an index lookup: identities by their unique (kind, value) index, ids by primary key, names
by the trigram GIN index on PostgreSQL. SQLite has no trigram index, so there a name is matched as a prefix
of ``search_name`` (last name first) through its B-tree, and only a query matching no prefix falls back to a
bounded substring scan. Either way the first statement that finds anyone wins: a prefix before the whole
phrase before the words in any order. Names come in alphabetical order, so a long result is read page by
page, as deep as MAX_RESULTS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy import column as text_column
from sqlalchemy import table as text_table
from sqlalchemy.orm import Session

from lottocrm.errors import ServiceError
from lottocrm.players.models import Player, PlayerIdentity
from lottocrm.players.names import fold_name
from lottocrm.players.service import InvalidIdentityError, normalise_phone

MAX_QUERY_LENGTH = 200
DEFAULT_LIMIT = 50
# How deep a person can page through one search; past it they are asked to narrow the query.
MAX_RESULTS = 1000
_PHONE_CHARS = re.compile(r"^[\d\s()+\-.]+$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")
_MIN_NAME_LENGTH = 2


class SearchInputError(ServiceError):
    """A query that cannot mean anything (empty, too long, a name of one letter)."""

    code = "invalid_query"


@dataclass(frozen=True)
class Criteria:
    """What the query may mean; a digit string may be a phone, a card and a player id at once."""

    phone: str | None = None
    email: str | None = None
    card: str | None = None
    player_id: int | None = None
    name_words: tuple[str, ...] = ()


def phone_e164(text: str) -> str | None:
    """The stored form of a phone typed any way (8 916…, +7 (916)…, 916…), or None if it is not one."""
    try:
        return normalise_phone(text)
    except InvalidIdentityError:
        return None


def interpret(query: str) -> Criteria:
    text = query.strip()
    if not text:
        raise SearchInputError("empty query")
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchInputError("query longer than %(max)s characters", max=MAX_QUERY_LENGTH)
    if "\ufffd" in text or "\x00" in text:
        raise SearchInputError("the query is not valid UTF-8 text")
    if _EMAIL.match(text):
        return Criteria(email=text.lower())
    if _PHONE_CHARS.match(text):
        digits = re.sub(r"\D", "", text)
        if not digits:
            raise SearchInputError("no digits in the query")
        player_id = int(digits) if len(digits) <= 18 and digits == text.strip() else None
        return Criteria(phone=phone_e164(text), card=digits, player_id=player_id)
    folded = fold_name(text)
    if len(folded.replace(" ", "")) < _MIN_NAME_LENGTH:
        raise SearchInputError("a name needs at least %(letters)s letters", letters=_MIN_NAME_LENGTH)
    return Criteria(name_words=tuple(folded.split(" ")))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains_all(words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return and_(*(Player.search_name.like(f"%{_like_escape(w)}%", escape="\\") for w in words))


_byte_order_databases: dict[str, bool] = {}


def _sorts_by_code_point(session: Session) -> bool:
    """Whether this PostgreSQL database collates by code point (C, POSIX): then a B-tree range is a prefix."""
    key = str(session.get_bind().url)
    if key not in _byte_order_databases:
        collation = session.scalar(
            select(text_column("datcollate"))
            .select_from(text_table("pg_database"))
            .where(text_column("datname") == func.current_database())
        )
        _byte_order_databases[key] = str(collation).split(".")[0] in ("C", "POSIX")
    return _byte_order_databases[key]


def _prefix_range(words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    prefix = " ".join(words)
    return and_(Player.search_name >= prefix, Player.search_name < prefix + "\U0010ffff")


def _in_name_order(condition: ColumnElement[bool], *, by_index: bool) -> Select:
    """Ids matching ``condition`` in name order (then id), so a long result reads alphabetically and pages.

    A B-tree range comes in that order as it is read. A trigram or substring match has no order of its own,
    and ordering it directly would let PostgreSQL walk the whole name index looking for rare matches; its
    candidates are capped first (without order, so the trigram index serves them) and sorted after."""
    if by_index:
        return select(Player.id).where(condition).order_by(Player.search_name, Player.id)
    candidates = select(Player.id, Player.search_name).where(condition).limit(MAX_RESULTS + 1).subquery()
    return select(candidates.c.id).order_by(candidates.c.search_name, candidates.c.id)


def _name_statements(session: Session, words: tuple[str, ...]) -> list[Select]:
    if session.get_bind().dialect.name == "postgresql":
        # Cheapest first: a prefix (a B-tree range when the database sorts by code point; the planner would
        # rather use the trigram index for LIKE 'x%', which costs as much as a substring search), then the
        # whole phrase (its many trigrams are selective where a common surname alone is not), then the words
        # in any order.
        text = _like_escape(" ".join(words))
        by_code_point = _sorts_by_code_point(session)
        prefix = _prefix_range(words) if by_code_point else Player.search_name.like(f"{text}%", escape="\\")
        phrase = Player.search_name.like(f"%{text}%", escape="\\")
        return [
            _in_name_order(prefix, by_index=by_code_point),
            _in_name_order(phrase, by_index=False),
            _in_name_order(_contains_all(words), by_index=False),
        ]
    # A B-tree range is the only index-friendly prefix test on SQLite (LIKE there folds ASCII case only); a
    # substring scan walks the name index in order, so both come sorted.
    return [
        _in_name_order(_prefix_range(words), by_index=True),
        _in_name_order(_contains_all(words), by_index=True),
    ]


def search_players(
    session: Session, *, query: str, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> tuple[Criteria, list[int]]:
    """Player ids matching ``query``, identity matches first, then names in alphabetical order: at most
    ``limit`` of them after skipping ``offset`` (no further than MAX_RESULTS). Raises SearchInputError."""
    criteria = interpret(query)
    wanted = min(offset, MAX_RESULTS) + limit
    found: list[int] = []

    def take(statement: Select) -> None:
        for player_id in session.scalars(statement.limit(wanted)):
            if player_id not in found and len(found) < wanted:
                found.append(player_id)

    identity_terms = []
    if criteria.phone:
        identity_terms.append(and_(PlayerIdentity.kind == "phone", PlayerIdentity.value == criteria.phone))
    if criteria.email:
        identity_terms.append(and_(PlayerIdentity.kind == "email", PlayerIdentity.value == criteria.email))
    if criteria.card:
        identity_terms.append(and_(PlayerIdentity.kind == "card", PlayerIdentity.value == criteria.card))
    if identity_terms:
        take(select(PlayerIdentity.player_id).where(or_(*identity_terms)).order_by(PlayerIdentity.player_id))
    if criteria.player_id is not None:
        take(select(Player.id).where(Player.id == criteria.player_id))
    if criteria.name_words:
        for statement in _name_statements(session, criteria.name_words):
            take(statement)
            if found:
                break
    return criteria, found[min(offset, MAX_RESULTS) :]
