"""Row checks that look things up: unknown games, draws, players, points of sale, tickets; taken keys.

Each returns a mask of bad rows for a whole batch. Nulls are never "unknown": a missing optional reference is
allowed, and a missing required one is reported once, as missing, by the coercion step.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.catalog.models import Draw, Game, PointOfSale
from lottocrm.ingest.context import CheckContext, mask
from lottocrm.players.models import Player, PlayerIdentity


def _absent_from(values: pa.ChunkedArray, known: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return mask(pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=_flat(known)))))


def _flat(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _games(ctx: CheckContext) -> pa.Table:
    return ctx.reference(Game.__table__, "id", "kind").cast(
        pa.schema([("id", pa.int32()), ("kind", pa.string())])
    )


def _draws(ctx: CheckContext) -> pa.Table:
    table = ctx.reference(Draw.__table__, "id", "game_id")
    return table.cast(pa.schema([("id", pa.int64()), ("game_id", pa.int32())]))


def unknown_game(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return _absent_from(data["game_id"], _games(ctx)["id"])


def game_kind(data: pa.Table, ctx: CheckContext) -> pa.Array:
    games = _games(ctx)
    return pc.take(_flat(games["kind"]), pc.index_in(data["game_id"], value_set=_flat(games["id"])))


def draw_of_an_instant_game(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.equal(game_kind(data, ctx), "instant"))


def unknown_draw(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return _absent_from(data["draw_id"], _draws(ctx)["id"])


def draw_of_another_game(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    draws = _draws(ctx)
    owner = pc.take(_flat(draws["game_id"]), pc.index_in(data["draw_id"], value_set=_flat(draws["id"])))
    return mask(pc.not_equal(owner, data["game_id"]))


def draw_game_without_draw(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.and_(pc.equal(game_kind(data, ctx), "draw"), pc.is_null(data["draw_id"])))


def instant_game_with_draw(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.and_(pc.equal(game_kind(data, ctx), "instant"), pc.is_valid(data["draw_id"])))


def unknown_player(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    known = ctx.store_has_ints(Player.__table__, "id", data["player_id"])
    return mask(pc.is_valid(data["player_id"])) & ~known


def unknown_point_of_sale(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return _absent_from(data["pos_id"], ctx.reference(PointOfSale.__table__, "id")["id"].cast(pa.int64()))


def unknown_ticket(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return mask(pc.is_valid(data["ticket_id"])) & ~ctx.lake_has_ids("tickets", "ticket_id", data["ticket_id"])


# ---- keys already loaded ----------------------------------------------------------------------------------
def player_id_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_ints(Player.__table__, "id", data["id"])


def game_id_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ~_absent_from(data["id"], _games(ctx)["id"]) & mask(pc.is_valid(data["id"]))


def game_code_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_tuples(Game.__table__, ("code",), data)


def draw_id_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_ints(Draw.__table__, "id", data["id"])


def draw_number_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_tuples(Draw.__table__, ("game_id", "number"), data)


def pos_id_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_ints(PointOfSale.__table__, "id", data["id"])


def pos_code_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_tuples(PointOfSale.__table__, ("code",), data)


def identity_taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
    return ctx.store_has_tuples(PlayerIdentity.__table__, ("kind", "value"), data)


def lake_id_taken(table: str, column: str):  # type: ignore[no-untyped-def]
    def taken(data: pa.Table, ctx: CheckContext) -> np.ndarray:
        return ctx.lake_has_ids(table, column, data[column])

    return taken
