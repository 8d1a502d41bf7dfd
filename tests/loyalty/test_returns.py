"""Returns at a partner's till take back the points the purchase earned: in proportion, never more than
earned, idempotently, and refusing (or, if the till allows it, writing off) points already spent."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import AlreadyDone, LoyaltyError
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyOperation, LoyaltyPosting
from lottocrm.loyalty.programme import earn_rules, earning, members, returns, settlement
from loyalty.factories import STAFF, Card, TillPartner, add_card
from loyalty.test_cli import run
from loyalty.test_till_api import call, count, error_code

PURCHASE = 100_000  # 1 000 ₽ at 10 points per 100 ₽: 100 points


@pytest.fixture
def ten_per_100(engine: Engine) -> None:
    with transaction(engine) as session:
        earn_rules.add_rule(session, actor=STAFF, name="10 per 100", kind="base_rate", points_per_100_rub=10)


@pytest.fixture
def purchase(client: TestClient, card: Card, shop: TillPartner, ten_per_100: None) -> int:
    earned = call(client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": PURCHASE})
    assert earned.json()["points"] == 100 and earned.json()["balance"] == 1_100
    return earned.json()["operation_id"]


def _return(client: TestClient, partner: TillPartner, earn_id: int, body: object, **kwargs: str):  # type: ignore[no-untyped-def]
    return call(client, partner, f"/till/earns/{earn_id}/return", body, **kwargs)


def _refused(
    client: TestClient,
    engine: Engine,
    partner: TillPartner,
    earn_id: int,
    body: object,
    status: int,
    code: str,
) -> None:
    before = count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)
    response = _return(client, partner, earn_id, body)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert response.json()["error"]["message"]
    assert (count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)) == before


def test_partial_returns_take_back_points_in_proportion_and_never_more_than_earned(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    third = _return(client, shop, purchase, {"returned_kopecks": 33_333}).json()
    assert (third["points"], third["shortfall"], third["balance"]) == (33, 0, 1_067)  # ⌊100 × 1/3⌋
    second = _return(client, shop, purchase, {"returned_kopecks": 33_333}).json()
    assert (second["points"], second["returned_kopecks_total"]) == (33, 66_666)  # ⌊100 × 2/3⌋ − 33
    rest = _return(client, shop, purchase, {"returned_kopecks": 33_334}).json()
    assert (rest["points"], rest["returned_kopecks_total"], rest["balance"]) == (34, PURCHASE, 1_000)
    _refused(client, engine, shop, purchase, {"returned_kopecks": 1}, 422, "return_above_purchase")
    assert verify(engine).clean
    with transaction(engine) as session:
        line = settlement.settlement(
            session,
            actor=STAFF,
            start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            end=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        )
    assert [(row.partner_code, row.points_issued) for row in line] == [("shop", 0)]


def test_a_return_retried_with_its_key_takes_back_once(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    body = {"returned_kopecks": 50_000, "receipt": "R-17"}
    first = _return(client, shop, purchase, body, key="till-1-return-17")
    again = _return(client, shop, purchase, body, key="till-1-return-17")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["points"] == 50 and first.json()["balance"] == 1_050
    conflict = _return(client, shop, purchase, {**body, "returned_kopecks": 1}, key="till-1-return-17")
    assert (conflict.status_code, error_code(conflict)) == (409, "idempotency_conflict")
    with transaction(engine) as session:
        reversals = session.execute(
            select(func.count()).where(LoyaltyOperation.kind == "earn_reversal")
        ).scalar_one()
    assert reversals == 1 and verify(engine).clean


def test_points_already_spent_are_refused_unless_the_till_allows_a_write_off(
    client: TestClient, engine: Engine, shop: TillPartner, ten_per_100: None
) -> None:
    card = add_card(engine, 1002)
    earn_id = call(
        client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": PURCHASE}
    ).json()["operation_id"]
    hold = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 80}).json()
    call(client, shop, f"/till/holds/{hold['hold_id']}/capture", {})
    _refused(client, engine, shop, earn_id, {"returned_kopecks": PURCHASE}, 409, "points_already_spent")
    # Half the goods: 50 points due, only 20 left.
    _refused(client, engine, shop, earn_id, {"returned_kopecks": PURCHASE // 2}, 409, "points_already_spent")
    # A tenth: 10 points due and there: no shortfall, no flag needed.
    tenth = _return(client, shop, earn_id, {"returned_kopecks": PURCHASE // 10}).json()
    assert (tenth["points"], tenth["shortfall"], tenth["balance"]) == (10, 0, 10)
    written_off = _return(
        client, shop, earn_id, {"returned_kopecks": PURCHASE * 9 // 10, "allow_shortfall": True}
    )
    assert written_off.status_code == 200, written_off.text
    assert (written_off.json()["points"], written_off.json()["shortfall"], written_off.json()["balance"]) == (
        10,
        80,
        0,
    )
    assert verify(engine).clean
    with transaction(engine) as session:
        line = settlement.settlement(
            session,
            actor=STAFF,
            start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            end=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        )[0]
        note = session.execute(
            select(LoyaltyOperation.reason).where(LoyaltyOperation.id == written_off.json()["operation_id"])
        ).scalar_one()
    # The partner keeps paying for the 80 points the member spent (it held their value back from the refund).
    assert (line.points_issued, line.points_redeemed) == (80, 80)
    assert "80 points already spent, written off" in note


def test_a_cancelled_ticket_reversal_after_a_partial_return_takes_only_the_rest(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    _return(client, shop, purchase, {"returned_kopecks": 25_000})
    with transaction(engine) as session:
        rest = earning.reverse_earn(
            session, actor=STAFF, earn_operation_id=purchase, now=dt.datetime.now(dt.UTC), reason="void"
        )
    assert (rest.points, rest.shortfall, rest.balance) == (75, 0, 1_000)
    _refused(client, engine, shop, purchase, {"returned_kopecks": 1}, 409, "already_done")
    with pytest.raises(AlreadyDone), transaction(engine) as session:
        earning.reverse_earn(
            session, actor=STAFF, earn_operation_id=purchase, now=dt.datetime.now(dt.UTC), reason="again"
        )
    assert verify(engine).clean


def test_a_purchase_returned_in_full_cannot_be_reversed_again(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    assert _return(client, shop, purchase, {"returned_kopecks": PURCHASE}).json()["points"] == 100
    with pytest.raises(AlreadyDone), transaction(engine) as session:
        earning.reverse_earn(
            session, actor=STAFF, earn_operation_id=purchase, now=dt.datetime.now(dt.UTC), reason="void"
        )
    assert verify(engine).clean


def test_a_capped_purchase_that_earned_nothing_returns_without_a_posting(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, ten_per_100: None
) -> None:
    with transaction(engine) as session:
        earn_rules.add_rule(session, actor=STAFF, name="no earn", kind="daily_cap", cap_points=0)
    earned = call(
        client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": PURCHASE}
    ).json()
    assert earned["points"] == 0
    postings = count(engine, LoyaltyPosting)
    returned = _return(client, shop, earned["operation_id"], {"returned_kopecks": PURCHASE}).json()
    assert (returned["points"], returned["balance"]) == (0, 1_000)
    assert count(engine, LoyaltyPosting) == postings and verify(engine).clean


# Bad input: one test each, a clear code and nothing posted.


def test_zero_return_is_refused(client: TestClient, engine: Engine, shop: TillPartner, purchase: int) -> None:
    _refused(client, engine, shop, purchase, {"returned_kopecks": 0}, 422, "invalid_amount")


def test_negative_return_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    _refused(client, engine, shop, purchase, {"returned_kopecks": -100}, 422, "invalid_amount")


def test_non_integer_return_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    _refused(client, engine, shop, purchase, {"returned_kopecks": "100"}, 422, "invalid_amount")


def test_return_larger_than_the_purchase_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    _refused(client, engine, shop, purchase, {"returned_kopecks": PURCHASE + 1}, 422, "return_above_purchase")


def test_return_of_an_unknown_purchase_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    _refused(client, engine, shop, purchase + 10_000, {"returned_kopecks": 100}, 404, "purchase_not_found")


def test_return_of_an_operation_that_is_no_purchase_is_refused(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, purchase: int
) -> None:
    with transaction(engine) as session:
        opening = session.execute(
            select(LoyaltyOperation.id).where(LoyaltyOperation.kind == "adjust")
        ).scalar_one()
    _refused(client, engine, shop, opening, {"returned_kopecks": 100}, 404, "purchase_not_found")


def test_return_of_another_partners_purchase_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, other_shop: TillPartner, purchase: int
) -> None:
    _refused(client, engine, other_shop, purchase, {"returned_kopecks": 100}, 404, "purchase_not_found")


def test_return_with_malformed_json_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    before = count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)
    response = client.post(
        f"/api/v1/loyalty/till/earns/{purchase}/return",
        content=b'{"returned_kopecks": 100',
        headers={
            "X-Api-Key": shop.key,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
    )
    assert (response.status_code, error_code(response)) == (400, "malformed_json")
    assert (count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)) == before


def test_return_without_an_idempotency_key_is_refused(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    response = client.post(
        f"/api/v1/loyalty/till/earns/{purchase}/return",
        json={"returned_kopecks": 100},
        headers={"X-Api-Key": shop.key},
    )
    assert (response.status_code, error_code(response)) == (400, "missing_idempotency_key")


def test_staff_return_from_the_cli_keeps_verify_clean(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    code, output = run("return", str(purchase), "40000", "--partner", "shop")
    output = " ".join(output.split())  # rich wraps long lines
    assert code == 0 and "took back 40 points" in output and "balance 1060" in output
    code, output = run("return", str(purchase), "60001", "--partner", "shop")
    assert code == 1 and "return_above_purchase" in output
    code, output = run("return", str(purchase), "100", "--partner", "othershop")
    assert code == 1 and "not_found" in output
    code, output = run("verify")
    assert code == 0 and "ledger clean" in output


@given(
    earned=st.integers(min_value=0, max_value=10**6),
    purchase=st.integers(min_value=1, max_value=10**9),
    cuts=st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), max_size=8),
)
def test_partial_returns_sum_to_at_most_the_earn_and_to_it_exactly_when_complete(
    earned: int, purchase: int, cuts: list[float]
) -> None:
    """Any split of a purchase into returns: each takes back ≥ 0, together never more than earned, and
    exactly the earn once the whole purchase is back."""
    marks = sorted({0, purchase, *(int(cut * purchase) for cut in cuts)})
    taken = [
        returns.points_due_back(earned=earned, purchase_kopecks=purchase, returned_kopecks=upper)
        - returns.points_due_back(earned=earned, purchase_kopecks=purchase, returned_kopecks=lower)
        for lower, upper in zip(marks, marks[1:], strict=False)
    ]
    assert all(points >= 0 for points in taken)
    assert sum(taken) == earned


def test_concurrent_returns_of_one_purchase_never_exceed_it(
    engine: Engine, card: Card, shop: TillPartner, ten_per_100: None
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers outright; the member lock is a PostgreSQL matter")
    with transaction(engine) as session:
        earn_id = earning.earn_at_partner(
            session,
            member=members.find_member(session, card_number=card.number),
            partner_id=shop.id,
            spend_kopecks=PURCHASE,
            now=dt.datetime.now(dt.UTC),
        ).operation_id
    outcomes: list[str] = []
    barrier = threading.Barrier(5)

    def give_back() -> None:
        barrier.wait()
        try:
            with transaction(engine) as session:
                returns.return_purchase(
                    session,
                    actor=STAFF,
                    earn_operation_id=earn_id,
                    partner_id=shop.id,
                    returned_kopecks=PURCHASE * 4 // 10,
                    now=dt.datetime.now(dt.UTC),
                )
            outcomes.append("returned")
        except LoyaltyError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=give_back) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["return_above_purchase"] * 3 + ["returned"] * 2
    with transaction(engine) as session:
        taken = session.execute(
            select(func.sum(LoyaltyOperation.points)).where(LoyaltyOperation.reverses_id == earn_id)
        ).scalar_one()
    assert taken == 80 and verify(engine).clean


def test_a_partial_return_lowers_tier_spend_by_the_returned_kopecks_only(
    client: TestClient, engine: Engine, shop: TillPartner, purchase: int
) -> None:
    from lottocrm.loyalty.programme import tiers

    def spend() -> int:
        with transaction(engine) as session:
            account_id = session.scalar(
                select(LoyaltyOperation.account_id).where(LoyaltyOperation.id == purchase)
            )
            return tiers.spend_12m(session, account_id=account_id, now=dt.datetime.now(dt.UTC))

    assert spend() == PURCHASE
    _return(client, shop, purchase, {"returned_kopecks": 40_000})
    assert spend() == PURCHASE - 40_000
    _return(client, shop, purchase, {"returned_kopecks": PURCHASE - 40_000})
    assert spend() == 0
