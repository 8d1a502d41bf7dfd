"""What a history import announces once committed (see :mod:`lottocrm.events`)."""

from __future__ import annotations

from lottocrm.events.model import EventPayload


class CampaignHistoryImported(EventPayload):
    """Campaigns run elsewhere are in the store, each with one run and its members (``campaign_ids``)."""

    name = "marketing.campaign_history_imported"

    batch_id: str
    campaign_ids: list[int]
    members: int
