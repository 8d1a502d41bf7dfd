"""Planted duplicate registrations: recorded in the truth as a later registration of an earlier player,
carrying that person's birth year and gender (the noise may spoil names, a date digit or the region)."""

from __future__ import annotations

from conftest import SimulatedOperator


def test_duplicates_point_at_an_earlier_registration_of_the_same_person(operator: SimulatedOperator) -> None:
    con = operator.facts()
    con.register("db_players", operator.db_table("players", "id", "gender", "birth_date"))
    row = con.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE t.person_id >= t.player_id),
               count(*) FILTER (WHERE d.gender <> o.gender),
               count(*) FILTER (WHERE abs(year(d.birth_date) - year(o.birth_date)) > 0)
        FROM truth t
        JOIN db_players d ON d.id = t.player_id
        JOIN db_players o ON o.id = t.person_id
        WHERE t.person_id <> t.player_id
        """
    ).fetchone()
    duplicates, not_earlier, other_gender, other_year = row
    # About 2 % of 4 000 players.
    assert 40 <= duplicates <= 140
    assert not_earlier == other_gender == 0
    assert other_year <= duplicates * 0.05
