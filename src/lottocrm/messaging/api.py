"""JSON API for the operator's website: it registers a browser's push subscription for a signed-in player.

The website calls with an API key (``X-API-Key``) scoped to ``push:subscribe``, as every machine client of
``/api/v1`` does; refusals come back as JSON with their code (``lottocrm.web.errors``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.messaging import push_subscriptions
from lottocrm.players.params import PlayerId
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/players", tags=["messaging"], responses=API_ERRORS)


class PushSubscriptionIn(BaseModel):
    """The browser's ``PushSubscription.toJSON()``, and a label for people (the browser, the device)."""

    model_config = ConfigDict(populate_by_name=True)

    endpoint: str = Field(max_length=2000)
    expiration_time: float | None = Field(default=None, alias="expirationTime")
    keys: dict[str, str]
    label: str | None = Field(default=None, max_length=push_subscriptions.MAX_LABEL)


class PushSubscriptionOut(BaseModel):
    id: int
    device: str = Field(description="The player's device identity for this subscription.")


@router.post("/{player_id}/push-subscriptions", response_model=PushSubscriptionOut, status_code=201)
def register_push_subscription(
    request: Request,
    principal: Annotated[Principal, require(Permission.PUSH_SUBSCRIBE)],
    session: Db,
    player_id: PlayerId,
    body: PushSubscriptionIn,
) -> PushSubscriptionOut:
    """Store a browser's push subscription for the player: web push messages the gate permits on the push
    channel go to it. Registering the same endpoint again renews its keys."""
    row = push_subscriptions.register(
        session,
        actor=acting(request),
        player_id=player_id,
        subscription={"endpoint": body.endpoint, "keys": body.keys},
        label=body.label,
    )
    return PushSubscriptionOut(id=row.id, device=row.device)
