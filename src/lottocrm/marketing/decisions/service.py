"""``decide``: the banner a placement shows to a player (or an anonymous visitor's device), now.

1. The player's contact-policy facts (kept in memory, ``state.py``) are judged by the contact policy's own
   checks for a marketing message on the web channel: a player the gate would refuse (self-excluded, timed
   out, under age, no web consent, capped…) gets the placement's default banner, never an offer.
2. The offers live in the placement, in their window, for this audience and region, under the placement's
   and the offer's own 24-hour impression caps, are ranked by expected incremental value × weight (Pega's
   arbitration, with value standing for propensity × value).
3. The best one whose budget still takes an impression is charged by one conditional UPDATE: two decisions
   at once can never take an offer past its budget; an offer whose budget ran out since the offers were read
   is passed over for the next.
4. The impression is stored as a ``banner_impression`` event through ``player_events``, in the same
   transaction as the charge, so journeys and results read it with the website's own events.

A decision that has not chosen within its time budget (``decision_time_budget_ms``, 50 ms) answers the
default banner. Never commits.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy.checks import blocking_reasons
from lottocrm.contact_policy.facts import PlayerFacts
from lottocrm.errors import NotFound
from lottocrm.marketing.decisions.models import BannerOffer, Placement
from lottocrm.marketing.decisions.state import Catalogue, DecisionState, LiveOffer, for_session
from lottocrm.player_events import service as player_events
from lottocrm.player_events.models import PlayerEvent
from lottocrm.settings import get_settings

CAP_WINDOW = dt.timedelta(hours=24)
CHANNEL, MESSAGE_CLASS = "web", "marketing"


class UnknownPlacement(NotFound):
    code = "unknown_placement"


class UnknownPlayer(NotFound):
    code = "unknown_player"


class UnknownDecision(NotFound):
    code = "unknown_decision"


class Deadline:
    """The moment a decision stops looking and answers the default banner."""

    def __init__(self, seconds: float | None = None, *, monotonic: Callable[[], float] = time.monotonic):
        if seconds is None:
            seconds = get_settings().decision_time_budget_ms / 1000
        self._monotonic = monotonic
        self._ends = monotonic() + seconds

    def passed(self) -> bool:
        return self._monotonic() >= self._ends

    def left(self) -> float:
        return max(0.0, self._ends - self._monotonic())


@dataclass(frozen=True)
class Banner:
    offer: str | None
    title: str
    text: str
    image_url: str | None
    link_url: str


@dataclass(frozen=True)
class BannerDecision:
    decision_id: str
    placement: str
    banner: Banner
    # Why the default banner: contact_policy, no_offer, player_cap, budget_spent, time_budget; None: an offer.
    default_because: str | None


def _default(placement: Placement) -> Banner:
    return Banner(
        offer=None,
        title=placement.default_title,
        text=placement.default_text,
        image_url=placement.default_image_url,
        link_url=placement.default_link_url,
    )


def _banner(offer: LiveOffer) -> Banner:
    return Banner(
        offer=offer.code,
        title=offer.title,
        text=offer.text,
        image_url=offer.image_url,
        link_url=offer.link_url,
    )


def _fits(offer: LiveOffer, *, now: dt.datetime, facts: PlayerFacts | None) -> bool:
    if not offer.starts_at <= now < offer.ends_at:
        return False
    if facts is None:
        return offer.audience != "players" and not offer.regions
    return offer.audience != "anonymous" and (not offer.regions or facts["region"] in offer.regions)


def _seen(
    session: Session, *, player_id: int | None, device_id: str | None, placement: str, now: dt.datetime
) -> Counter[str]:
    """This placement's offer impressions of the last 24 hours, by offer, for the player (or the device)."""
    subject = (
        PlayerEvent.player_id == player_id if player_id is not None else PlayerEvent.device_id == device_id
    )
    found: Counter[str] = Counter()
    for (properties,) in session.execute(
        select(PlayerEvent.properties).where(
            subject, PlayerEvent.type == "banner_impression", PlayerEvent.occurred_at >= now - CAP_WINDOW
        )
    ):
        if properties.get("placement") == placement:
            found[properties.get("offer")] += 1
    return found


def charge(session: Session, offer: LiveOffer, *, now: dt.datetime) -> bool:
    """Take one impression's cost from the offer's budget, if it still has it and is still live. One
    statement: on PostgreSQL a concurrent charge waits for the row and re-reads ``spent`` before it adds."""
    offers = BannerOffer.__table__
    taken = session.connection().execute(
        update(offers)
        .where(
            offers.c.id == offer.id,
            offers.c.status == "live",
            offers.c.spent + offers.c.cost_per_impression <= offers.c.budget,
            offers.c.starts_at <= now,
            offers.c.ends_at > now,
        )
        .values(spent=offers.c.spent + offers.c.cost_per_impression)
    )
    return taken.rowcount == 1


def default_from_memory(state: DecisionState, *, placement: str, because: str) -> BannerDecision | None:
    """The placement's default banner from the offers held in memory, without the store (None: this process
    holds no offers yet, or no such placement)."""
    catalogue = state.held_catalogue()
    place = catalogue.placements.get(placement) if catalogue is not None else None
    if place is None:
        return None
    return BannerDecision(uuid.uuid4().hex, place.code, _default(place), because)


def placement_of(catalogue: Catalogue, code: str) -> Placement:
    placement = catalogue.placements.get(code)
    if placement is None:
        known = ", ".join(sorted(catalogue.placements)) or "none yet"
        raise UnknownPlacement("no placement %(code)r (the placements: %(known)s)", code=code, known=known)
    return placement


def decide(
    session: Session,
    *,
    placement: str,
    player_id: int | None,
    device_id: str | None,
    channel: str = "website",
    source: str,
    now: dt.datetime | None = None,
    deadline: Deadline | None = None,
    state: DecisionState | None = None,
) -> BannerDecision:
    """Choose and record the banner for ``placement`` (see the module). A ``player_id`` the store does not
    know is taken as an anonymous visitor when a ``device_id`` comes with it; alone it is refused."""
    deadline = deadline or Deadline()
    state = state or for_session(session)
    now = now or clock.now()
    catalogue = state.catalogue(session)
    place = placement_of(catalogue, placement)
    decision_id = uuid.uuid4().hex

    def default(because: str) -> BannerDecision:
        return BannerDecision(decision_id, place.code, _default(place), because)

    facts = state.facts(session, player_id) if player_id is not None else None
    if player_id is not None and facts is None and device_id is None:
        raise UnknownPlayer(
            "no player with id %(player_id)s; send a device_id too to be answered as an anonymous visitor",
            player_id=player_id,
        )
    if deadline.passed():
        return default("time_budget")
    if facts is not None and blocking_reasons(
        session,
        facts,
        channel=CHANNEL,
        message_class=MESSAGE_CLASS,
        at=now,
        policy=catalogue.policy,
        requires_known_adult=get_settings().marketing_requires_known_adult,
    ):
        return default("contact_policy")
    candidates = [offer for offer in catalogue.offers.get(place.id, ()) if _fits(offer, now=now, facts=facts)]
    if not candidates:
        return default("no_offer")
    known_player = facts.player_id if facts is not None else None
    seen = _seen(session, player_id=known_player, device_id=device_id, placement=place.code, now=now)
    if sum(seen.values()) >= place.player_daily_cap:
        return default("player_cap")
    candidates = [offer for offer in candidates if seen[offer.code] < offer.player_daily_cap]
    if not candidates:
        return default("player_cap")
    for offer in candidates:
        if deadline.passed():
            return default("time_budget")
        # The impression first, the charge last: the charge locks the offer's row until the transaction
        # commits, and every decision wants the same few best offers (PostgreSQL queued on that row).
        attempt = session.begin_nested()
        _record(session, decision_id, place.code, offer, player_id, device_id, channel, source, now)
        if charge(session, offer, now=now):
            attempt.commit()
            return BannerDecision(decision_id, place.code, _banner(offer), None)
        attempt.rollback()
    # Every candidate's budget ran out since the offers were read: read them again next time.
    state.offers_changed()
    return default("budget_spent")


def _record(
    session: Session,
    decision_id: str,
    placement: str,
    offer: LiveOffer,
    player_id: int | None,
    device_id: str | None,
    channel: str,
    source: str,
    now: dt.datetime,
) -> None:
    event = {
        "id": f"imp-{decision_id}",
        "type": "banner_impression",
        "channel": channel,
        "occurred_at": now.isoformat(),
        "properties": {"placement": placement, "offer": offer.code, "decision_id": decision_id},
    }
    # The player id as sent, known or not: an anonymous visitor's impression is linked once they register.
    if player_id is not None:
        event["player_id"] = player_id
    if device_id is not None:
        event["device_id"] = device_id
    outcome = player_events.accept(session, [event], source=source, now=now)
    if outcome.accepted != 1:
        raise RuntimeError(f"the impression of decision {decision_id} was not stored: {outcome.refused}")


def record_click(session: Session, *, decision_id: str, source: str, now: dt.datetime | None = None) -> bool:
    """Store the click on a decision's banner as a ``banner_click`` event (once per decision: a second
    click is a duplicate). False when it was already recorded."""
    now = now or clock.now()
    impression = session.scalar(select(PlayerEvent).where(PlayerEvent.event_id == f"imp-{decision_id}"))
    if impression is None:
        raise UnknownDecision(
            "no banner impression for decision %(decision_id)r (a default banner is not counted)",
            decision_id=decision_id,
        )
    player_id = impression.player_id or impression.claimed_player_id
    event = {
        "id": f"clk-{decision_id}",
        "type": "banner_click",
        "channel": impression.channel,
        "occurred_at": now.isoformat(),
        "properties": dict(impression.properties),
    }
    if player_id is not None:
        event["player_id"] = player_id
    if impression.device_id is not None:
        event["device_id"] = impression.device_id
    return player_events.accept(session, [event], source=source, now=now).accepted == 1
