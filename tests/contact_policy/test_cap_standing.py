"""Places taken under the caps move the contactability rows forward exactly as a full recomputation would:
per player and per contact point (a phone shared by two players), per channel and over all channels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.contact_policy import ledger, service, standing
from lottocrm.contact_policy.models import contactability
from lottocrm.db.engine import transaction
from lottocrm.players.models import PlayerIdentity

# Monday 9 March 2026, 12:00 in Moscow: the reservations below run through the week, some hours apart.
START = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
MOMENTS = [START + dt.timedelta(hours=hours) for hours in (0, 1, 7, 25, 26, 49, 50, 74, 97, 98, 121, 145)]


def test_reserved_places_leave_the_rows_as_a_recomputation_gives_them(
    engine: Engine,
    contactable,  # type: ignore[no-untyped-def]
) -> None:
    players = contactable(5)
    message_id = 0
    blocked = 0
    for step, moment in enumerate(MOMENTS):
        if step == 4:
            with clock.frozen(moment), transaction(engine) as session:
                # The first player's phone moves to the second (verified, newest, so theirs now): the
                # per-number caps count the touches the number had under its first owner.
                identity = session.get(PlayerIdentity, _phone_identity(session, players[0]))
                identity.player_id, identity.created_at = players[1], moment
        with clock.frozen(moment), transaction(engine) as session:
            permits = []
            for player in players:
                for channel in ("sms", "email"):
                    decision = service.decide(
                        session, player_id=player, channel=channel, message_class="marketing", at=moment
                    )
                    if decision.permit is not None:
                        # Two messages for the same permit: the second meets the first's touch.
                        permits += [(decision.permit, message_id + 1), (decision.permit, message_id + 2)]
                        message_id += 2
            answers = ledger.reserve(session, permits=permits, at=moment)
            blocked += sum(answer is not None for answer in answers.values())
        with clock.frozen(moment), transaction(engine) as session:
            policy = service.current_policy(session)[1]
            assert standing.drifted(session.connection(), players, policy=policy) == [], moment
    # The caps did bite, so the rows were moved, not merely left alone.
    assert blocked > 0
    with transaction(engine) as session:
        ends = (
            session.execute(contactability.select().where(contactability.c.player_id.in_(players)))
            .mappings()
            .all()
        )
    assert all(row["sms_cap_ends"] is not None for row in ends if row["phone"] is not None)


def _phone_identity(session, player_id: int) -> int:  # type: ignore[no-untyped-def]
    return next(
        identity.id for identity in session.query(PlayerIdentity).filter_by(player_id=player_id, kind="phone")
    )
