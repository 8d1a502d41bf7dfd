"""Results are frozen dataclasses of plain Python numbers, so one ``to_dict`` serves them all."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


class JsonResult:
    """A mixin for frozen result dataclasses: ``to_dict()`` gives nested dicts, lists and plain numbers that
    ``json.dumps`` takes as they are (no NaN: a figure that cannot be computed is None)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]
