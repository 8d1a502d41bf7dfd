"""What the players UI and API both read from a request: path ids within range, and the lake."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from lottocrm.lake.store import Lake

PlayerId = Annotated[int, Path(ge=1, le=2**63 - 1)]
IdentityId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def lake_of(request: Request) -> Lake | None:
    path = request.app.state.settings.lake_path
    return Lake(path) if path.is_dir() else None
