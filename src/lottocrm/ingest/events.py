"""What an import announces once its rows are committed (see :mod:`lottocrm.events`).

A lake batch can hold millions of tickets, so the event names the batch and its ranges instead of listing
every row; a subscriber reads the batch from the lake by ``batch_id``. ``player_ids`` lists the players the
batch touched when there are at most ``PLAYER_IDS_LISTED`` of them (a day's digital sales, an app's batch).
"""

from __future__ import annotations

import datetime as dt

from lottocrm.events.model import EventPayload

PLAYER_IDS_LISTED = 10_000


class FactsCommitted(EventPayload):
    batch_id: str
    rows: int
    first_id: int
    last_id: int
    players_touched: int
    # Sorted; None when more than PLAYER_IDS_LISTED players are in the batch.
    player_ids: list[int] | None


class TicketsCommitted(FactsCommitted):
    """A batch of tickets is in the lake; ``first_id``/``last_id`` are the smallest and largest ticket ids."""

    name = "ingest.tickets_committed"


class WinsCommitted(FactsCommitted):
    """A batch of wins is in the lake; ``first_id``/``last_id`` are win ids."""

    name = "ingest.wins_committed"


class DrawResultsPublished(EventPayload):
    """A draw's results are in: the draw is ``drawn``. Winning tickets arrive later as wins batches; this
    event is the moment players can be told the draw took place (results, the next jackpot)."""

    name = "ingest.draw_results_published"

    draw_id: int
    game_id: int
    game_code: str
    number: int
    draw_at: dt.datetime
    jackpot_won: bool


class JackpotChanged(EventPayload):
    """The jackpot of a draw not yet drawn was set to a new amount (a rollover, a guaranteed jackpot)."""

    name = "ingest.jackpot_changed"

    draw_id: int
    game_id: int
    game_code: str
    number: int
    draw_at: dt.datetime
    previous_kopecks: int
    jackpot_kopecks: int
