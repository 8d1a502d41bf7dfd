"""Saving segments (versions frozen, audited, bad documents refused with the place of the fault) and their
preview: the waterfall is the gate's own verdict for each member, and "why is / isn't player N in" names the
condition and the value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.contact_policy import service as gate
from lottocrm.db.engine import transaction
from lottocrm.marketing.segments import service
from lottocrm.marketing.segments.audience import count, explain_player, frame_at
from lottocrm.marketing.segments.conditions import SegmentError, parse
from lottocrm.marketing.segments.models import SegmentVersion
from lottocrm.marketing.segments.preview import preview

# A Tuesday, 12:00 in Moscow: inside the default sending window there, 21:00 in Kamchatka (quiet).
AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
ADULTS_IN_MOSCOW = {
    "all": [
        {"field": "profile.region", "op": "eq", "value": "RU-MOW"},
        {"field": "profile.age", "op": "ge", "value": 18},
    ]
}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def test_a_segment_is_saved_in_frozen_audited_versions(engine: Engine) -> None:
    with transaction(engine) as session:
        first = service.create_segment(
            session, actor=IMPORT, name="  Взрослые   в Москве ", definition=ADULTS_IN_MOSCOW
        )
        second = service.save_version(
            session,
            actor=IMPORT,
            segment_id=first.segment_id,
            definition={"field": "profile.gender", "op": "eq", "value": "F"},
            note="только женщины",
        )
        assert (first.number, second.number) == (1, 2)
        assert service.get_segment(session, first.segment_id).name == "Взрослые в Москве"
        assert service.current_version(session, first.segment_id).id == second.id
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["segment.create", "segment.save_version"]
    with transaction(engine) as session, pytest.raises(ValueError, match="cannot change"):
        session.get(SegmentVersion, first.id).definition = {"field": "profile.gender", "op": "known"}  # type: ignore[union-attr]
        session.flush()


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        ({"field": "profile.agee", "op": "ge", "value": 18}, "segment.field: unknown field 'profile.agee'"),
        (
            {"all": [{"field": "profile.age", "op": "ge", "value": "18"}]},
            "segment.all[0].value: profile.age takes a whole number",
        ),
        (
            {"field": "profile.age", "op": "in", "value": [18]},
            "segment.op: 'in' does not apply to profile.age",
        ),
        ({"field": "profile.age", "op": "ge", "value": 200}, "takes 0–150, got 200"),
        ({"field": "record.segment", "op": "eq", "value": "whales"}, "'whales' is not one of"),
        ({"field": "record.last_purchase", "op": "after", "value": "2026-02-30"}, "is not a date"),
        ({"field": "record.spend", "op": "between", "value": [500, 100]}, "low 500 is above high 100"),
        (
            {"field": "propensity.probability", "op": "ge", "value": 0.1},
            "segment.params.game: propensity.probability needs it",
        ),
        (
            {"field": "contact.reachable", "params": {"channel": "fax"}, "op": "is_true"},
            "'fax' is not one of",
        ),
        ({"any": []}, "segment.any: expected a non-empty list"),
        ({"not": {"field": "churn.band", "op": "known"}, "all": []}, "'all' stands alone"),
        ({"field": "churn.band", "op": "known", "value": "x"}, "'known' takes no value"),
        ("everyone", "expected an object"),
    ],
)
def test_a_bad_document_is_refused_with_the_place_of_the_fault(document: object, fault: str) -> None:
    with pytest.raises(SegmentError) as refused:
        parse(document)
    assert fault in str(refused.value)


def test_a_refused_segment_leaves_nothing_behind(engine: Engine) -> None:
    with transaction(engine) as session, pytest.raises(SegmentError):
        service.create_segment(session, actor=IMPORT, name="Плохой", definition={"field": "nope", "op": "eq"})
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(SegmentVersion)) == 0


def test_the_waterfall_is_the_gates_verdict_for_each_member(
    engine: Engine,
    contactable,
    make_player,  # type: ignore[no-untyped-def]
) -> None:
    reachable = contactable(4)
    excluded = contactable(1, self_excluded_until=AS_OF.date() + dt.timedelta(days=30))
    far_east = contactable(2, region="RU-KAM")
    with transaction(engine) as session:
        silent = make_player(session).id
        minor = [make_player(session, birth_date=dt.date(2010, 1, 1)).id]
        gate.refresh_players(session.connection(), [silent, *minor])
        # Not refreshed here: the preview settles the gate's pending refreshes first, so it is counted too.
        unrefreshed = make_player(session).id
    node = parse({"field": "record.segment", "op": "unknown"})
    with transaction(engine) as session:
        shown = preview(session, node=node, frame=frame_at(session), channel="sms")
        expected = {
            player: gate.decide(session, player_id=player, channel="sms", message_class="marketing")
            for player in [*reachable, *excluded, *minor, *far_east, silent]
        }
    assert shown.size == 10
    steps = {step.name: step for step in shown.steps}
    assert steps["no_contact_data"].removed == 0
    assert steps["responsible_gaming"].checks == {"self_excluded": 1, "under_age": 1}
    assert steps["consent"].checks == {"no_personal_data_consent": 2}
    assert shown.reachable == sum(decision.allowed for decision in expected.values()) == 6
    # Kamchatka is at 21:00: the two players there wait for the morning.
    assert shown.held_for_quiet_hours == 2
    assert [step.remaining for step in shown.steps][-1] == shown.reachable
    assert shown.sample == tuple(sorted([*expected, unrefreshed]))[:10]
    assert sum(step.removed for step in shown.steps) == 4
    assert expected[silent].reasons[0].code == "no_personal_data_consent"


def test_why_a_player_is_or_is_not_in_the_audience(engine: Engine, contactable, make_player) -> None:  # type: ignore[no-untyped-def]
    (adult,) = contactable(1)
    with transaction(engine) as session:
        young = make_player(session, birth_date=dt.date(2010, 1, 1)).id
    node = parse(ADULTS_IN_MOSCOW)
    with transaction(engine) as session:
        frame = frame_at(session)
        assert count(session, node, frame) == 1
        inside, outside = (
            explain_player(session, node, frame, adult),
            explain_player(session, node, frame, young),
        )
        nobody = explain_player(session, node, frame, 10**12)
    assert inside.member and [check.holds for check in inside.checks] == [True, True]
    assert not outside.member
    assert [(check.condition.field, check.value, check.holds) for check in outside.checks] == [
        ("profile.region", "RU-MOW", True),
        ("profile.age", dt.date(2010, 1, 1), False),
    ]
    assert not nobody.known and not nobody.member
