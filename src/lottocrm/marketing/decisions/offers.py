"""Placements and banner offers as the marketer keeps them: checked, saved, audited. Never commits.

An offer's content, audience, value, budget and caps are edited in place (the audit row keeps what changed,
from what); its ``spent`` is the decisions' alone. A budget can be raised or cut, never below what is spent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.errors import NotFound, ServiceError
from lottocrm.marketing.decisions.models import (
    AUDIENCES,
    BUDGET_UNITS,
    OFFER_STATUSES,
    BannerOffer,
    Placement,
)
from lottocrm.vocab import REGION_ZONES

CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# Links and images: a path on the operator's own site or an https address.
LINK = re.compile(r"^(/[^\s]*|https://[^\s]+)$")
MAX_VALUE = 10**9
MAX_CAP = 1000


class OfferInputError(ServiceError):
    code, http_status = "banner_offer_invalid", 422

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


class OfferNotFound(NotFound):
    code = "banner_offer_not_found"


@dataclass(frozen=True)
class OfferDraft:
    code: str
    name: str
    placement_id: int
    title: str
    text: str
    image_url: str | None
    link_url: str
    audience: str
    regions: tuple[str, ...]
    value_per_mille_kopecks: int
    weight_percent: int
    budget_unit: str
    budget: int
    cost_per_impression: int
    player_daily_cap: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str


def _require(ok: bool, field: str, message: str, **params: Any) -> None:
    if not ok:
        raise OfferInputError(field, message, **params)


def _checked(session: Session, draft: OfferDraft) -> None:
    _require(bool(CODE.match(draft.code)), "code", "a code is 1–64 letters, digits, _ . : or -")
    _require(bool(draft.name.strip()) and len(draft.name) <= 200, "name", "a name is 1–200 characters")
    _require(session.get(Placement, draft.placement_id) is not None, "placement_id", "choose a placement")
    _require(bool(draft.title.strip()) and len(draft.title) <= 200, "title", "a title is 1–200 characters")
    _require(bool(draft.text.strip()) and len(draft.text) <= 1000, "text", "a text is 1–1 000 characters")
    for field in ("image_url", "link_url"):
        value = getattr(draft, field)
        if field == "link_url" or value:
            _require(
                bool(LINK.match(value or "")) and len(value or "") <= 2000,
                field,
                "a link is a path on the site (/…) or an https:// address",
            )
    _require(draft.audience in AUDIENCES, "audience", "choose who may see the offer")
    unknown = sorted(set(draft.regions) - set(REGION_ZONES))
    _require(not unknown, "regions", "unknown regions: %(regions)s", regions=", ".join(unknown))
    _require(0 < draft.value_per_mille_kopecks <= MAX_VALUE, "value_per_mille_kopecks", "a value above 0")
    _require(0 < draft.weight_percent <= 1000, "weight_percent", "a weight of 1 to 1 000 percent")
    _require(draft.budget_unit in BUDGET_UNITS, "budget_unit", "choose impressions or money")
    _require(0 < draft.budget <= 10**12, "budget", "a budget above 0")
    cost_ok = (
        draft.cost_per_impression == 1
        if draft.budget_unit == "impressions"
        else draft.cost_per_impression > 0
    )
    _require(
        cost_ok and draft.cost_per_impression <= MAX_VALUE,
        "cost_per_impression",
        "an impression budget counts 1 per impression; a money budget needs a price above 0",
    )
    _require(0 < draft.player_daily_cap <= MAX_CAP, "player_daily_cap", "a cap of 1–1 000 a day")
    _require(draft.starts_at < draft.ends_at, "ends_at", "the end comes after the start")
    _require(draft.status in OFFER_STATUSES, "status", "unknown status")


def _values(draft: OfferDraft) -> dict[str, Any]:
    values = {field.name: getattr(draft, field.name) for field in fields(draft)}
    values["regions"] = sorted(draft.regions)
    values["code"], values["name"] = draft.code.strip(), draft.name.strip()
    return values


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value for key, value in values.items()
    }


def create_offer(session: Session, *, actor: Actor, draft: OfferDraft) -> BannerOffer:
    _checked(session, draft)
    taken = session.scalar(select(BannerOffer.id).where(BannerOffer.code == draft.code.strip()))
    _require(taken is None, "code", "the code %(code)s is taken", code=draft.code)
    now = clock.now()
    offer = BannerOffer(**_values(draft), spent=0, created_at=now, created_by=actor.name, updated_at=now)
    session.add(offer)
    session.flush()
    audit(
        session,
        actor=actor,
        action="decisions.offer_create",
        detail={"offer": offer.id, **_plain(_values(draft))},
    )
    return offer


def update_offer(session: Session, *, actor: Actor, offer_id: int, draft: OfferDraft) -> BannerOffer:
    offer = session.get(BannerOffer, offer_id, with_for_update=True)
    if offer is None:
        raise OfferNotFound("no banner offer %(offer_id)s", offer_id=offer_id)
    _checked(session, draft)
    _require(draft.code.strip() == offer.code, "code", "an offer's code is kept: events name it")
    _require(
        draft.budget >= offer.spent,
        "budget",
        "the budget cannot go below what is spent (%(spent)s)",
        spent=offer.spent,
    )
    _require(draft.budget_unit == offer.budget_unit, "budget_unit", "a budget's unit is kept once set")
    after = _values(draft)
    before = {name: getattr(offer, name) for name in after}
    changed = {
        name: {"from": _plain(before)[name], "to": _plain(after)[name]}
        for name in after
        if before[name] != after[name]
    }
    for name, value in after.items():
        setattr(offer, name, value)
    offer.updated_at = clock.now()
    session.flush()
    if changed:
        audit(
            session,
            actor=actor,
            action="decisions.offer_update",
            detail={"offer": offer.id, "changed": changed},
        )
    return offer


def create_placement(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    default_title: str,
    default_text: str,
    default_link_url: str,
    default_image_url: str | None = None,
    player_daily_cap: int = 10,
) -> Placement:
    if not CODE.match(code):
        raise OfferInputError("code", "a code is 1–64 letters, digits, _ . : or -")
    if session.scalar(select(Placement.id).where(Placement.code == code)) is not None:
        raise OfferInputError("code", "the code %(code)s is taken", code=code)
    placement = Placement(
        code=code,
        name=name,
        default_title=default_title,
        default_text=default_text,
        default_image_url=default_image_url,
        default_link_url=default_link_url,
        player_daily_cap=player_daily_cap,
        created_at=clock.now(),
    )
    session.add(placement)
    session.flush()
    audit(
        session,
        actor=actor,
        action="decisions.placement_create",
        detail={"placement": placement.id, "code": code},
    )
    return placement


def offers_page(session: Session, *, offset: int, limit: int) -> tuple[list[BannerOffer], int]:
    total = session.scalar(select(func.count()).select_from(BannerOffer)) or 0
    page = session.scalars(
        select(BannerOffer).order_by(BannerOffer.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(page), total


def get_offer(session: Session, offer_id: int) -> BannerOffer:
    offer = session.get(BannerOffer, offer_id)
    if offer is None:
        raise OfferNotFound("no banner offer %(offer_id)s", offer_id=offer_id)
    return offer
