"""The web app with one more installed domain, whose subscriber listens to ``loyalty.points_redeemed``:
what the till costs once a journey or a report reacts to redemptions (``till_bench.py --subscriber``).

The subscriber's jobs are queued with each capture and never run during the bench: the cost measured is
the till's (the Python path and the job rows), not the subscriber's.
"""

from __future__ import annotations

from fastapi import FastAPI

from lottocrm import domains
from lottocrm.manifest import Domain, Subscriber
from lottocrm.web.app import create_app as create_lottocrm_app

LISTENER = Domain(
    name="bench",
    subscribers=(Subscriber("bench.on_redeemed", "loyalty.points_redeemed", "till_subscriber_app:ignore"),),
)


def ignore(context) -> None:  # type: ignore[no-untyped-def]
    """Never run in the bench."""


def create_app() -> FastAPI:
    domains.INSTALLED = (*domains.INSTALLED, LISTENER)
    return create_lottocrm_app()
