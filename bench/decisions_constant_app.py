"""The bench's baseline: bare FastAPI answering POST /api/v1/decisions with a constant body the size and shape
of a real decision (no database, no auth, no validation beyond reading the JSON)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

CONSTANT: dict[str, Any] = {
    "decision_id": "0" * 32,
    "placement": "home_top",
    "kind": "offer",
    "default_because": None,
    "banner": {
        "offer": "offer-000",
        "title": "Джекпот 500 миллионов",
        "text": "Купите билет на ближайший тираж",
        "image_url": "/static/banners/jackpot.svg",
        "link_url": "/games/offer-000",
    },
}

app = FastAPI()


@app.post("/api/v1/decisions")
def decide(body: dict[str, Any]) -> dict[str, Any]:
    return CONSTANT
