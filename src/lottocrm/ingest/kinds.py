"""The import formats, one declarative spec per kind: the single source for validation, docs and --help."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm import vocab
from lottocrm.ingest import references as ref
from lottocrm.ingest.context import CheckContext, mask
from lottocrm.ingest.spec import Column, ColumnType, Derived, KindSpec, Normaliser, RowCheck, UniqueKey
from lottocrm.players.names import fold_full_names

T = ColumnType
REGION = {
    "pattern": r"^RU-[A-Z]{1,3}$",
    "pattern_hint": "ISO 3166-2 code such as `RU-MOW`",
    "normaliser": Normaliser.UPPER,
}
KOPECKS = "kopecks"


def _event_time(name: str, description: str, *, required: bool = True) -> Column:
    return Column(name, T.TIMESTAMP, description, required=required, unit="time", not_in_future=True)


def _now_column(data: pa.Table, ctx: CheckContext) -> pa.Array:
    return pa.array(np.full(data.num_rows, ctx.now), pa.timestamp("us", tz="UTC"))


def _eighteenth_birthday_cutoff(ctx: CheckContext) -> dt.date:
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 18, day=28)


def _under_age(data: pa.Table, ctx: CheckContext) -> pa.Array:
    return pc.fill_null(pc.greater(data["birth_date"], pa.scalar(_eighteenth_birthday_cutoff(ctx))), False)


def _search_name(data: pa.Table, ctx: CheckContext) -> pa.Array:
    return fold_full_names(data["last_name"], data["first_name"], data["middle_name"])


def _birth_date_implausible(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.less(data["birth_date"], pa.scalar(dt.date(1900, 1, 1))))


def _claimed_at_without_claim(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.and_(pc.invert(data["claimed"]), pc.is_valid(data["claimed_at"])))


def _claimed_before_won(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.less(data["claimed_at"], data["won_at"]))


def _json_object_invalid(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    ctx.duck.register("schedules", pa.table({"s": data["schedule"]}))
    try:
        result = ctx.duck.sql(
            "SELECT s IS NOT NULL AND (NOT coalesce(json_valid(s), false) OR json_type(s) <> 'OBJECT') "
            "AS bad FROM schedules"
        ).to_arrow_table()
    finally:
        ctx.duck.unregister("schedules")
    return mask(result["bad"])


GAME_CHECKS = (
    RowCheck("game_id", "unknown game (import games first)", ref.unknown_game),
    RowCheck("draw_id", "unknown draw (import draws first)", ref.unknown_draw),
    RowCheck("draw_id", "the draw belongs to another game", ref.draw_of_another_game),
    RowCheck("draw_id", "a draw game's row needs its draw_id", ref.draw_game_without_draw),
    RowCheck("draw_id", "instant games have no draws; leave draw_id empty", ref.instant_game_with_draw),
)

PLAYERS = KindSpec(
    name="players",
    summary="Registered players: one row per player, keyed by the operator's own player id.",
    destination="store",
    target="players",
    columns=(
        Column("id", T.INT64, "Operator's player id", minimum=1),
        Column("last_name", T.STRING, "Family name (Cyrillic welcome)", max_length=100),
        Column("first_name", T.STRING, "Given name", max_length=100),
        Column("middle_name", T.STRING, "Patronymic", required=False, max_length=100),
        Column("birth_date", T.DATE, "Date of birth", required=False),
        Column(
            "gender", T.STRING, "Gender", required=False, allowed=vocab.GENDERS, normaliser=Normaliser.UPPER
        ),
        Column("region", T.STRING, "Region of residence", required=False, max_length=10, **REGION),
        _event_time("registered_at", "When the player registered"),
        Column(
            "registration_channel",
            T.STRING,
            "Where the player registered",
            allowed=vocab.REGISTRATION_CHANNELS,
        ),
        Column("age_verified", T.BOOL, "Age checked against an ID document", required=False, default=False),
        Column(
            "status",
            T.STRING,
            "Account status",
            required=False,
            default="active",
            allowed=vocab.PLAYER_STATUSES,
        ),
    ),
    unique=(UniqueKey(("id",), ref.player_id_taken),),
    checks=(RowCheck("birth_date", "birth date before 1900", _birth_date_implausible),),
    derived=(
        Derived("under_age", "true when the birth date makes the player younger than 18 today", _under_age),
        Derived("search_name", "lower-cased full name with ё folded to е, for search", _search_name),
        Derived("created_at", "time of the import", _now_column),
    ),
    notes=(
        "A player under 18 is loaded, not rejected, with `under_age` set: such players never receive "
        "marketing and the contact centre must see them. The import report counts them.",
        "Phones, e-mails and cards are imported separately as `identities`.",
    ),
)

IDENTITIES = KindSpec(
    name="identities",
    summary="Ways to recognise a player: phone, e-mail, loyalty card, app device id; each has one owner.",
    destination="store",
    target="player_identities",
    columns=(
        Column("player_id", T.INT64, "Player the identity belongs to (must exist)"),
        Column("kind", T.STRING, "What the value is", allowed=vocab.IDENTITY_KINDS),
        Column(
            "value",
            T.STRING,
            "Phone (any Russian form, stored as E.164 +7…), e-mail (stored lower-case), card number (digits) "
            "or device id",
            max_length=254,
            normaliser=Normaliser.IDENTITY,
        ),
        Column("verified", T.BOOL, "Confirmed by the player", required=False, default=False),
    ),
    unique=(UniqueKey(("kind", "value"), ref.identity_taken),),
    checks=(RowCheck("player_id", "unknown player (import players first)", ref.unknown_player),),
    derived=(Derived("created_at", "time of the import", _now_column),),
    notes=(
        "Phones are normalised to E.164 with region RU: `8 916 123-45-67`, `+7 (916) 123-45-67` and "
        "`916 123 45 67` all become `+79161234567`; foreign numbers need their `+` country code.",
    ),
)

CONSENTS = KindSpec(
    name="consents",
    summary="Consent history: each row grants or withdraws one purpose on one channel. Append-only.",
    destination="store",
    target="consent_events",
    columns=(
        Column("player_id", T.INT64, "Player giving or withdrawing consent (must exist)"),
        Column("purpose", T.STRING, "What the consent covers", allowed=vocab.CONSENT_PURPOSES),
        Column("channel", T.STRING, "Channel it covers", allowed=vocab.CONSENT_CHANNELS),
        Column("granted", T.BOOL, "true = granted, false = withdrawn"),
        _event_time("occurred_at", "When the player gave or withdrew it"),
        Column("source", T.STRING, "Where it was captured", allowed=vocab.CONSENT_SOURCES),
        Column("notice_version", T.STRING, "Version of the privacy notice shown", max_length=40),
    ),
    checks=(RowCheck("player_id", "unknown player (import players first)", ref.unknown_player),),
    derived=(Derived("recorded_at", "time of the import", _now_column),),
)

GAMES = KindSpec(
    name="games",
    summary="The operator's games: draw lotteries and instant lotteries.",
    destination="store",
    target="games",
    columns=(
        Column("id", T.INT32, "Operator's game id", minimum=1),
        Column("code", T.STRING, "Short unique code, e.g. `6x45`", max_length=40),
        Column("name", T.STRING, "Name shown to people", max_length=200),
        Column("kind", T.STRING, "Draw or instant lottery", allowed=vocab.GAME_KINDS),
        Column("ticket_price_kopecks", T.INT64, "Base ticket price", unit=KOPECKS, minimum=1),
        Column(
            "schedule", T.STRING, 'Draw schedule as a JSON object, e.g. `{"every": "15min"}`', required=False
        ),
        Column("active", T.BOOL, "On sale", required=False, default=True),
    ),
    unique=(UniqueKey(("id",), ref.game_id_taken), UniqueKey(("code",), ref.game_code_taken)),
    checks=(RowCheck("schedule", "not a JSON object", _json_object_invalid),),
)

DRAWS = KindSpec(
    name="draws",
    summary="The draw calendar of draw games. Future draws (scheduled) are allowed.",
    destination="store",
    target="draws",
    columns=(
        Column("id", T.INT64, "Operator's draw id", minimum=1),
        Column("game_id", T.INT32, "Game of the draw (must exist and be a draw game)"),
        Column("number", T.INT32, "Draw number within its game", minimum=1),
        Column("draw_at", T.TIMESTAMP, "When the draw takes place", unit="time"),
        Column("jackpot_kopecks", T.INT64, "Jackpot", required=False, unit=KOPECKS, minimum=0, default=0),
        Column(
            "status",
            T.STRING,
            "Draw status",
            required=False,
            allowed=vocab.DRAW_STATUSES,
            default="scheduled",
        ),
    ),
    unique=(UniqueKey(("id",), ref.draw_id_taken), UniqueKey(("game_id", "number"), ref.draw_number_taken)),
    checks=(
        RowCheck("game_id", "unknown game (import games first)", ref.unknown_game),
        RowCheck("game_id", "instant games have no draws", ref.draw_of_an_instant_game),
    ),
)

POINTS_OF_SALE = KindSpec(
    name="points_of_sale",
    summary="Points of sale: kiosks, post offices, the website, the app, partners.",
    destination="store",
    target="points_of_sale",
    columns=(
        Column("id", T.INT64, "Operator's point-of-sale id", minimum=1),
        Column("code", T.STRING, "Short unique code", max_length=40),
        Column("name", T.STRING, "Name or address", max_length=200),
        Column("channel", T.STRING, "Sales channel", allowed=vocab.SALES_CHANNELS),
        Column("region", T.STRING, "Region", required=False, max_length=10, **REGION),
        Column("active", T.BOOL, "Selling now", required=False, default=True),
    ),
    unique=(UniqueKey(("id",), ref.pos_id_taken), UniqueKey(("code",), ref.pos_code_taken)),
    derived=(Derived("created_at", "time of the import", _now_column),),
)

TICKETS = KindSpec(
    name="tickets",
    summary="Ticket sales (bets), appended to the fact lake. Anonymous retail tickets have no player.",
    destination="lake",
    target="tickets",
    columns=(
        Column("ticket_id", T.INT64, "Operator's ticket id, unique for ever", minimum=1),
        Column("player_id", T.INT64, "Buyer; empty for an anonymous ticket", required=False),
        Column("game_id", T.INT32, "Game (must exist)"),
        Column(
            "draw_id", T.INT64, "Draw (must exist for draw games; empty for instant games)", required=False
        ),
        Column("channel", T.STRING, "Sales channel", allowed=vocab.SALES_CHANNELS),
        Column("pos_id", T.INT64, "Point of sale (must exist if given)", required=False),
        Column("region", T.STRING, "Region of the sale", required=False, max_length=10, **REGION),
        Column("price_kopecks", T.INT64, "Price paid", unit=KOPECKS, minimum=1),
        _event_time("sold_at", "Time of sale"),
    ),
    unique=(UniqueKey(("ticket_id",), ref.lake_id_taken("tickets", "ticket_id")),),
    checks=(
        *GAME_CHECKS,
        RowCheck("player_id", "unknown player (import players first)", ref.unknown_player),
        RowCheck("pos_id", "unknown point of sale (import points_of_sale first)", ref.unknown_point_of_sale),
    ),
)

WINS = KindSpec(
    name="wins",
    summary="Prize payouts, appended to the fact lake. Each win refers to a ticket already in the lake.",
    destination="lake",
    target="wins",
    columns=(
        Column("win_id", T.INT64, "Operator's win id, unique for ever", minimum=1),
        Column("ticket_id", T.INT64, "Winning ticket (must be in the lake)"),
        Column("player_id", T.INT64, "Winner; empty for an anonymous ticket", required=False),
        Column("game_id", T.INT32, "Game (must exist)"),
        Column(
            "draw_id", T.INT64, "Draw (must exist for draw games; empty for instant games)", required=False
        ),
        Column("prize_tier", T.INT16, "Prize tier, 1 = top prize", minimum=1),
        Column("amount_kopecks", T.INT64, "Prize amount", unit=KOPECKS, minimum=1),
        _event_time("won_at", "When the prize was won"),
        Column("claimed", T.BOOL, "Paid out"),
        _event_time("claimed_at", "When it was paid out", required=False),
    ),
    unique=(UniqueKey(("win_id",), ref.lake_id_taken("wins", "win_id")),),
    checks=(
        *GAME_CHECKS,
        RowCheck("ticket_id", "unknown ticket (import tickets first)", ref.unknown_ticket),
        RowCheck("player_id", "unknown player (import players first)", ref.unknown_player),
        RowCheck("claimed_at", "claimed_at given for an unclaimed win", _claimed_at_without_claim),
        RowCheck("claimed_at", "claimed before it was won", _claimed_before_won),
    ),
)

SESSIONS = KindSpec(
    name="sessions",
    summary="Website and app sessions, appended to the fact lake.",
    destination="lake",
    target="sessions",
    columns=(
        Column("session_id", T.INT64, "Session id, unique for ever", minimum=1),
        Column("player_id", T.INT64, "Signed-in player; empty for a visitor", required=False),
        Column("device_id", T.STRING, "Device or cookie id", required=False, max_length=254),
        Column("channel", T.STRING, "Where the session happened", allowed=vocab.SESSION_CHANNELS),
        _event_time("started_at", "Session start"),
        Column("duration_s", T.INT32, "Length", unit="seconds", minimum=0),
        Column("page_views", T.INT32, "Pages or screens viewed", minimum=0),
    ),
    unique=(UniqueKey(("session_id",), ref.lake_id_taken("sessions", "session_id")),),
    checks=(RowCheck("player_id", "unknown player (import players first)", ref.unknown_player),),
)

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (PLAYERS, IDENTITIES, CONSENTS, GAMES, DRAWS, POINTS_OF_SALE, TICKETS, WINS, SESSIONS)
}
