"""The 360 reads "self-excluded today" by the operator's calendar, not the server's or UTC's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.players.profile import player_360, search_hits


def test_a_self_exclusion_ends_at_the_operators_midnight(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session, self_excluded_until=dt.date(2026, 3, 1))
    for moment, zone, excluded in (
        (dt.datetime(2026, 3, 1, 20, 59, tzinfo=dt.UTC), "Europe/Moscow", True),  # 23:59 in Moscow
        (dt.datetime(2026, 3, 1, 21, 0, tzinfo=dt.UTC), "Europe/Moscow", False),  # 00:00 on 2 March
        (dt.datetime(2026, 3, 1, 21, 0, tzinfo=dt.UTC), "America/New_York", True),  # still 1 March there
    ):
        with clock.frozen(moment, zone), transaction(engine) as session:
            view = player_360(session, player_id=player.id, masked=False, lake=None, panels=())
            assert view is not None and view.responsible_gaming.self_excluded_now is excluded, (moment, zone)
            (hit,) = search_hits(session, player_ids=[player.id], masked=True)
            assert hit.self_excluded is excluded
