"""What the audit log's codes mean to a person: each action's label (an English message id the page
translates), the labels of the details rows carry, and which actions are looks rather than changes.

One table for every domain's actions, so the log's readers (the audit search, the 360's access panels, the
CSV export) name an action the same way; tests/audit/test_audit_labels.py finds every action the code
records and fails on one without a label here.
"""

from __future__ import annotations

import re
from typing import Any

from lottocrm.presentation import values as pv

ACTION_LABELS = {
    # Looks at personal data (and at the log itself).
    "player.search": "Players searched",
    "player.view": "Player card viewed",
    "player.timeline": "Player history paged",
    "player.tickets": "Player tickets paged",
    "player.wins": "Player wins paged",
    "audit.search": "Audit log searched",
    "audit.export": "Audit log exported",
    # A player's record.
    "player.consent.change": "Consent changed",
    "player.identity.add": "Contact added",
    "player.identity.replace": "Contact replaced",
    "player.identity.remove": "Contact removed",
    "player.responsible_gaming.change": "Responsible gaming changed",
    "player.responsible_gaming.return": "Return after self-exclusion recorded",
    "player.responsible_gaming.timeout": "Time-out started",
    "player.responsible_gaming.limit_reached": "Monthly spending limit reached",
    # The contact policy and messaging.
    "contact_policy.change": "Contact policy changed",
    "contact_policy.unreachable": "Contact marked unreachable",
    "contact_policy.cap_exemption": "Campaign exempted from contact caps",
    "contact_policy.cap_exemption_revoked": "Contact caps exemption revoked",
    "contact_policy.rows_rebuilt": "Contactability rows recomputed",
    "messaging.push_subscription": "Browser push subscription registered",
    "journey.create": "Journey created",
    "journey.save_version": "Journey version saved",
    "journey.go_live": "Journey version put live",
    "journey.offer_given": "Journey offer given to a player",
    "decisions.placement_create": "Banner placement created",
    "decisions.offer_create": "Banner offer created",
    "decisions.offer_update": "Banner offer changed",
    # Reports of the gaming system.
    "ingest.draw_results": "Draw results published",
    "ingest.jackpot": "Draw jackpot changed",
    "messaging.call_task.close": "Call task closed",
    "messaging.call_task.cancel": "Call task withdrawn: the contact policy stops the call",
    "message_template.create": "Message template created",
    "message_template.update": "Message template renamed",
    "message_template.save_draft": "Message template draft saved",
    "message_template.publish": "Message template published",
    "message_template.archive": "Message template archived",
    "message_template.test_send": "Message template test sent",
    # Marketing.
    "segment.create": "Segment created",
    "segment.save_version": "Segment version saved",
    "segment.archive": "Segment archived",
    "campaign.create": "Campaign created",
    "campaign.update": "Campaign draft edited",
    "campaign.approve": "Campaign approved",
    "campaign.cancel": "Campaign cancelled",
    "campaign.pause": "Campaign paused",
    "campaign.resume": "Campaign resumed",
    "campaign.launch": "Campaign run launched",
    "campaign.boost_add": "Boost window added",
    "campaign.boost_remove": "Boost window removed",
    "campaign.offer_points": "Campaign offer points credited to responders",
    "campaign.history_import": "Campaign history imported",
    # The contact centre.
    "contact_centre.team.save": "Contact-centre team saved",
    "contact_centre.team.member": "Team member set",
    "contact_centre.interaction.log": "Contact logged",
    "contact_centre.case.open": "Case opened",
    "contact_centre.case.state": "Case state changed",
    "contact_centre.case.assign": "Case assigned",
    "contact_centre.case.priority": "Case priority changed",
    "contact_centre.case.link": "Case linked to a ticket, draw, win or operation",
    "contact_centre.case.merge": "Case merged into another",
    "contact_centre.sla.warning": "SLA deadline approaching",
    "contact_centre.sla.breach": "SLA deadline missed: case escalated",
    "contact_centre.sla.recompute": "SLA deadlines recomputed",
    "contact_centre.case.view": "Case viewed",
    "contact_centre.cases.list": "Cases listed",
    "contact_centre.interaction.view": "Contact viewed",
    # Staff accounts, sign-in and machine keys.
    "user.create": "Account created",
    "user.disable": "Account disabled",
    "user.enable": "Account enabled",
    "user.change_role": "Role changed",
    "user.unlock": "Account unlocked",
    "user.reset_password": "Password reset",
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.purge_sessions": "Expired sessions purged",
    "apikey.create": "API key created",
    "apikey.revoke": "API key revoked",
    # Loyalty.
    "loyalty.tickets_earned": "Points earned for tickets",
    "loyalty.earn_reversed": "Points earning reversed",
    "loyalty.card_issued": "Loyalty card issued",
    "loyalty.card_blocked": "Loyalty card blocked",
    "loyalty.card_unblocked": "Loyalty card unblocked",
    "loyalty.card_velocity_set": "Card operation rate limit set",
    "loyalty.partner_added": "Partner added",
    "loyalty.partner_key_issued": "Partner key issued",
    "loyalty.partner_key_revoked": "Partner key revoked",
    "loyalty.purchase_returned": "Purchase returned",
    "loyalty.lots_expired": "Points expired",
    "loyalty.stale_holds_voided": "Stale holds released",
    "loyalty.tiers_requalified": "Tiers requalified",
    "loyalty.tiers_seeded": "Tiers set up",
    "loyalty.settlement_drawn": "Partner settlement drawn up",
    "loyalty.adjust": "Points adjusted",
    "loyalty.earn_rule_added": "Earning rule added",
    "loyalty.reward_added": "Reward added",
    "loyalty.reward_ordered": "Reward ordered",
    "loyalty.reward_order_fulfilled": "Reward order fulfilled",
    "loyalty.reward_order_cancelled": "Reward order cancelled",
    # Data and operations.
    "ingest.import": "File imported",
    "simulator.run": "Simulated data generated",
    "simulator.advance": "Simulated time advanced",
    "lake.compact": "Lake files compacted",
    "lake.vacuum": "Old lake files removed",
    "analytics.record.write": "Analytical record written",
    "analytics.clv.score": "Lifetime values scored",
    "analytics.churn.train": "Churn model trained",
    "analytics.churn.score": "Churn risk scored",
    "analytics.propensity.build": "Game propensities and offers built",
    "analytics.clusters.fit": "Micro-segments fitted",
    "identity.resolve": "Identity resolution run",
    "identity.review.view": "Duplicate pairs viewed",
    "identity.review.decide": "Duplicate pair decided",
    "jobs.retry": "Failed jobs retried",
    "jobs.schedule.save": "Job schedule saved",
    "jobs.schedule.delete": "Job schedule deleted",
    "db.upgrade": "Database schema upgraded",
    "db.downgrade": "Database schema downgraded",
}

# Looks, not changes: the 360 lists them apart, so a day of page views cannot push an edit out of sight.
READS = frozenset(
    {
        "player.search",
        "player.view",
        "player.timeline",
        "player.tickets",
        "player.wins",
        "audit.search",
        "audit.export",
        "contact_centre.case.view",
        "contact_centre.cases.list",
        "contact_centre.interaction.view",
        "identity.review.view",
    }
)

DETAIL_LABELS = {
    "reason": "Reason",
    "kind": "Kind",
    "value": "Value",
    "new_value": "New value",
    "purpose": "Purpose",
    "channel": "Channel",
    "contact_point": "Contact",
    "granted": "Granted",
    "masked": "Personal data masked",
    "shown": "Shown",
    "after": "Older than",
    "username": "Username",
    "role": "Role",
    "from": "Before",
    "to": "After",
    "self_excluded_until": "Self-excluded until",
    "monthly_spend_limit_kopecks": "Monthly limit, kopecks",
    "player_id": "Player",
    "actor": "Who",
    "action": "Action",
    "scope": "Shown",
    "since": "From",
    "until": "To",
    "rows": "Rows",
    "page": "Page",
    "points": "Points",
    "name": "Title",
    "card_number": "Card",
    "account_id": "Loyalty account",
    "max_ops_per_minute": "Operations per minute",
    "prefix": "Key prefix",
    "scopes": "Scopes",
    "case_id": "Case",
    "interaction_id": "Contact",
    "direction": "Direction",
    "priority": "Priority",
    "owner_id": "Owner",
    "team": "Team",
    "ref_id": "Reference",
    "timer": "SLA timer",
    "due_at": "Due",
    "hours": "Working hours",
    "timezone": "Time zone",
    "production_calendar": "Production calendar",
    "user_id": "Staff member",
    "cases": "Cases",
    # Identity resolution's runs and review decisions.
    "run": "Resolution run",
    "mode": "Mode",
    "exact_links": "Exact-key links",
    "pairs": "Pairs stored",
    "certain_pairs": "Certain pairs",
    "persons": "Persons",
    "persons_created": "Persons created",
    "persons_changed": "Persons changed",
    "persons_dissolved": "Persons dissolved",
    "review_added": "Pairs queued for review",
    "review_pending": "Pairs awaiting review",
    "item": "Pair under review",
    "other_player": "Other player",
    "decision": "Decision",
    "status": "Queue",
    "labels": "Steward decisions",
    "labels_agreeing": "Decisions the model agrees with",
    "journey_id": "Journey",
    "step": "Step",
    "promo_code": "Promo code",
    "moved": "Instances moved to the version",
    # The gaming system's reports on draws.
    "draw_id": "Draw",
    "numbers": "Numbers drawn",
    "jackpot_won": "Jackpot won",
    "previous_kopecks": "Jackpot before, kopecks",
    "jackpot_kopecks": "Jackpot, kopecks",
}

# A detail value written as a code ("phone", "advertising", "operator") is looked up in the catalog; free
# text (a reason, a masked phone) is shown as it is.
_CODE = re.compile(r"^[a-z][a-z0-9_.:]*$")


def action_label(action: str) -> pv.PanelValue:
    """The action as a person reads it; one without a label (a row of an older version) as its code."""
    label = ACTION_LABELS.get(action)
    return pv.Message(label) if label else pv.Text(action)


def detail_value(value: Any) -> pv.PanelValue:
    match value:
        case bool():
            return pv.Message("yes" if value else "no")
        case str() if _CODE.match(value):
            return pv.Message(value)
        case list() | tuple():
            return pv.Joined(tuple(detail_value(item) for item in value), ", ")
        case None:
            return pv.Text(pv.NO_VALUE)
    return pv.Text(str(value))


def details(detail: dict[str, Any]) -> list[tuple[pv.PanelValue, pv.PanelValue]]:
    """(label, value) of each detail, labels translated where known."""
    return [
        (pv.Message(DETAIL_LABELS[key]) if key in DETAIL_LABELS else pv.Text(key), detail_value(value))
        for key, value in detail.items()
    ]
