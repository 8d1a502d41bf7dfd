"""What the decision service keeps in memory: each player's contact-policy facts, and the live offers.

The facts are the contact policy's own row (``contact_policy.facts.load``), judged by its own checks at each
decision, so there is one statement of the rules. A row is kept until one of three things: a consent or
responsible-gaming event names the player, the policy in force changes, or ``FACTS_TTL`` passes (facts that
move without an event of their own, such as the cap ledger's end of a cap, are at most that old).

The events reach this process without waiting for a worker: ``emit`` enqueues the subscriber's job (this
domain's ``decisions.forget_player``) in the transaction that changed the consent, so the job row is the
durable announcement, committed with the change. Every ``POLL_EVERY`` seconds one request reads the rows
enqueued since the last read (minus ``OVERLAP``, for a transaction that enqueued before it committed) and
forgets their players. The subscriber itself, when a worker runs it, forgets the player in the worker's
process too.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy import facts as player_facts
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.facts import PlayerFacts
from lottocrm.contact_policy.service import policy_in_force
from lottocrm.events.delivery import EventContext
from lottocrm.jobs.models import JOB_STATUSES, Job
from lottocrm.marketing.decisions.models import BannerOffer, Placement

FACTS_TTL = 60.0
POLL_EVERY = 0.25
OVERLAP = dt.timedelta(seconds=10)
CATALOGUE_TTL = 1.0
MAX_PLAYERS = 200_000
# The subscriber kinds whose queued jobs announce a change of a player's consent or responsible gaming.
FORGETTING_KINDS = ("decisions.forget_player_on_consent", "decisions.forget_player_on_responsible_gaming")


@dataclass(frozen=True)
class LiveOffer:
    id: int
    code: str
    placement_id: int
    title: str
    text: str
    image_url: str | None
    link_url: str
    audience: str
    regions: frozenset[str]
    priority: int
    cost_per_impression: int
    remaining: int
    player_daily_cap: int
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Catalogue:
    placements: dict[str, Placement]
    # placement id → its live offers, best priority first.
    offers: dict[int, tuple[LiveOffer, ...]]
    policy_version: int
    policy: PolicySettings


def _live(offer: BannerOffer) -> LiveOffer:
    return LiveOffer(
        id=offer.id,
        code=offer.code,
        placement_id=offer.placement_id,
        title=offer.title,
        text=offer.text,
        image_url=offer.image_url,
        link_url=offer.link_url,
        audience=offer.audience,
        regions=frozenset(offer.regions),
        # Pega's V × L: value of 1 000 impressions times the weight lever; integers, no floats.
        priority=offer.value_per_mille_kopecks * offer.weight_percent,
        cost_per_impression=offer.cost_per_impression,
        remaining=offer.budget - offer.spent,
        player_daily_cap=offer.player_daily_cap,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
    )


def read_catalogue(session: Session) -> Catalogue:
    placements = {placement.code: placement for placement in session.scalars(select(Placement))}
    for placement in placements.values():
        session.expunge(placement)
    offers: dict[int, list[LiveOffer]] = {}
    for offer in session.scalars(select(BannerOffer).where(BannerOffer.status == "live")):
        if offer.spent + offer.cost_per_impression <= offer.budget:
            offers.setdefault(offer.placement_id, []).append(_live(offer))
    version, policy = policy_in_force(session.connection())
    ranked = {
        placement: tuple(sorted(found, key=lambda offer: (-offer.priority, offer.id)))
        for placement, found in offers.items()
    }
    return Catalogue(placements=placements, offers=ranked, policy_version=version, policy=policy)


class DecisionState:
    """Process-wide and thread-safe; one per database (``for_engine``)."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._polling = threading.Lock()
        self._facts: dict[int, tuple[PlayerFacts, float]] = {}
        self._epoch = 0
        self._next_poll = 0.0
        self._watched_since: dt.datetime | None = None
        # The announcements read by the last look (job id → enqueued at), to tell the new ones.
        self._announcements: dict[int, dt.datetime] = {}
        self._catalogue: tuple[Catalogue, float] | None = None

    # --- offers and policy -------------------------------------------------------------------------

    def catalogue(self, session: Session) -> Catalogue:
        held = self._catalogue
        if held is not None and self._monotonic() - held[1] < CATALOGUE_TTL:
            return held[0]
        fresh = read_catalogue(session)
        if held is not None and held[0].policy_version != fresh.policy_version:
            self.forget_everyone()
        self._catalogue = (fresh, self._monotonic())
        return fresh

    def held_catalogue(self) -> Catalogue | None:
        """The offers as last read, however old (for a default banner answered without the store)."""
        return self._catalogue[0] if self._catalogue is not None else None

    def offers_changed(self) -> None:
        """An offer was saved in this process: the next decision reads the offers again."""
        self._catalogue = None

    # --- players -----------------------------------------------------------------------------------

    def facts(self, session: Session, player_id: int) -> PlayerFacts | None:
        self.watch(session)
        held = self._facts.get(player_id)
        if held is not None and self._monotonic() - held[1] < FACTS_TTL:
            return held[0]
        epoch = self._epoch
        found = player_facts.load(session, player_id=player_id)
        if found is not None:
            with self._lock:
                # A change announced while the row was read may be missing from it: use it once, keep none.
                if epoch == self._epoch:
                    if len(self._facts) >= MAX_PLAYERS:
                        self._facts.pop(next(iter(self._facts)))
                    self._facts[player_id] = (found, self._monotonic())
        return found

    def forget(self, player_ids: Iterable[int]) -> None:
        with self._lock:
            self._epoch += 1
            for player_id in player_ids:
                self._facts.pop(player_id, None)

    def forget_everyone(self) -> None:
        with self._lock:
            self._epoch += 1
            self._facts.clear()

    def watch(self, session: Session) -> None:
        """Forget the players named by consent and responsible-gaming events since the last look (at most
        every ``POLL_EVERY`` seconds, by whichever request comes first)."""
        if self._monotonic() < self._next_poll or not self._polling.acquire(blocking=False):
            return
        try:
            started = clock.now()
            since = (self._watched_since or started) - OVERLAP
            named = session.execute(
                select(Job.id, Job.run_at, Job.payload).where(
                    Job.status.in_(JOB_STATUSES), Job.run_at >= since, Job.kind.in_(FORGETTING_KINDS)
                )
            ).all()
            # The overlap reads an announcement more than once: forget its player the first time only.
            fresh = [row for row in named if row.id not in self._announcements]
            self._announcements = {row.id: row.run_at for row in named}
            players = {row.payload.get("player_id") for row in fresh} - {None}
            if players:
                self.forget(int(player_id) for player_id in players)
            self._watched_since = started
            self._next_poll = self._monotonic() + POLL_EVERY
        finally:
            self._polling.release()

    def held_players(self) -> int:
        return len(self._facts)


_STATES: dict[str, DecisionState] = {}
_STATES_LOCK = threading.Lock()


def for_engine(engine: Engine) -> DecisionState:
    """The state of one database (tests run several databases in one process)."""
    key = engine.url.render_as_string(hide_password=True)
    with _STATES_LOCK:
        return _STATES.setdefault(key, DecisionState())


def for_session(session: Session) -> DecisionState:
    return for_engine(session.get_bind().engine)


def forget_player(context: EventContext) -> None:
    """The subscriber: a worker process that also answers decisions forgets the player at once."""
    if context.event.player_id is None:
        return
    key = context.engine.url.render_as_string(hide_password=True)
    state = _STATES.get(key)
    if state is not None:
        state.forget([context.event.player_id])
