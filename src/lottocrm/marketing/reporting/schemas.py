"""The shape of a campaign's results: what was measured (runs, window, source) beside the measurement itself.

Frozen dataclasses with ``to_dict()`` like the statistics they wrap, so the CLI's ``--json``, the API and the
CSV export serialise one object; moments are ISO 8601 text, so the dictionary goes to JSON as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from lottocrm.marketing.reporting.variants import VariantLift
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.measure import CampaignMeasurement


@dataclass(frozen=True)
class ArmDelivery(JsonResult):
    """What the messages of one arm did. A control member is never sent anything (all zeros); imported history
    knows only that the treated were contacted, so ``delivered`` and ``failed`` are None there."""

    arm: str
    members: int
    queued: int
    sent: int
    delivered: int | None
    failed: int | None


@dataclass(frozen=True)
class ResponseRule(JsonResult):
    """How a response was read: from the lake (a purchase of ``game_id`` or any game, or a loyalty enrolment,
    within ``window_days``), or ``imported`` (the responses and revenue another system measured)."""

    source: str
    kind: str | None
    game_id: int | None
    window_days: int | None


@dataclass(frozen=True)
class CampaignResults(JsonResult):
    """One campaign's results over ``run_ids``. ``window_ends_at`` is when the last member's response window
    closes (None for imported history); before it, or while the lake's newest ticket (``lake_through``) is
    older than it, the figures are ``preliminary``. ``control_share_basis`` is "campaign" when the share the
    campaign intended is known (the sample-ratio check is real), "observed" for imported history that did not
    say it (the check then cannot fail and is not a check)."""

    campaign_id: int
    campaign_name: str
    kind: str
    run_ids: tuple[int, ...]
    response_rule: ResponseRule
    first_assigned_at: str
    last_assigned_at: str
    window_ends_at: str | None
    lake_through: str | None
    preliminary: bool
    control_share: float
    control_share_basis: str
    delivery: tuple[ArmDelivery, ...]
    measurement: CampaignMeasurement
    # An A/B campaign's lift per content variant against the shared control (empty with one variant).
    variants: tuple[VariantLift, ...]
