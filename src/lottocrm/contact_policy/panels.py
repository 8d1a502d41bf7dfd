"""The 360's "contactable" panel: may marketing reach the player now, on each channel, and if not, why.

Listed in the contact policy's wiring as a 360 panel provider. One read of the player's facts answers all
five channels (``decide_channels``). When a responsible-gaming or age stop blocks every channel it is said
once, for all of them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lottocrm.contact_policy.explain import sentence
from lottocrm.contact_policy.reasons import HARD_STOPS
from lottocrm.contact_policy.service import Decision, decide_channels
from lottocrm.presentation.values import Joined, Message, PanelOut, PanelValue, Text, panel

ALLOWED, BLOCKED = "✓", "✗"


def _shown(decision: Decision) -> PanelValue:
    if decision.allowed and not decision.reasons:
        return Text(ALLOWED)
    mark = Text(ALLOWED if decision.allowed else BLOCKED)
    return Joined((mark, sentence(decision.reasons[0])), separator=" ")


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    decisions = decide_channels(session, player_id=player_id, message_class="marketing")
    firsts = [d.reasons[0] if d.reasons else None for d in decisions.values()]
    only = firsts[0]
    rows: list[tuple[str, PanelValue]]
    if only is not None and only.code in HARD_STOPS and all(first == only for first in firsts):
        rows = [("All channels", Joined((Text(BLOCKED), sentence(only)), separator=" "))]
    else:
        rows = [(channel, _shown(decision)) for channel, decision in decisions.items()]
    version = next(iter(decisions.values())).policy_version
    rows.append(("Policy version", Text(str(version)) if version else Message("built-in")))
    return [panel("contactable", "Contactable for marketing", rows)]
