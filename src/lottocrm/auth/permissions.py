"""Roles and what they may do: the one matrix every route is checked against.

Least privilege: admins manage accounts and read the audit log but do not browse players; marketers see only
aggregate reports; analysts see players with personal data masked.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PLAYER_SEARCH = "players:search"
    PLAYER_VIEW = "players:view"
    PLAYER_EDIT = "players:edit"
    REPORTS_VIEW = "reports:view"
    AUDIT_VIEW = "audit:view"
    USERS_MANAGE = "users:manage"
    POLICY_VIEW = "contact_policy:view"
    POLICY_EDIT = "contact_policy:edit"
    # Let a campaign past the contact caps (never past responsible gaming, age or consent).
    POLICY_EXEMPT_CAPS = "contact_policy:exempt_caps"
    # The operator's website registering a browser's push subscription for a player (machines only).
    PUSH_SUBSCRIBE = "push:subscribe"
    CALL_LIST = "call_list:work"
    TEMPLATE_VIEW = "message_templates:view"
    TEMPLATE_EDIT = "message_templates:edit"
    # Segments and campaigns: read them, write drafts (and cancel or pause), approve them (four eyes).
    CAMPAIGN_VIEW = "campaigns:view"
    CAMPAIGN_EDIT = "campaigns:edit"
    CAMPAIGN_APPROVE = "campaigns:approve"
    # The contact centre: log contacts and work the cases of one's teams; see every case of the teams one
    # supervises; set teams' working hours.
    CASES_WORK = "cases:work"
    CASES_SUPERVISE = "cases:supervise"
    CONTACT_CENTRE_CONFIGURE = "contact_centre:configure"
    # Decide whether two registrations are one person (identity resolution's review queue).
    IDENTITY_REVIEW = "identity:review"
    # The website and app sending what players do (machines only); reading what they refused (people).
    EVENTS_SEND = "events:send"
    EVENTS_VIEW = "events:view"
    # The operator's gaming system reporting draw results and jackpots (machines only).
    DRAWS_PUBLISH = "draws:publish"
    # The website and app asking which banner a slot shows, and reporting clicks on it.
    DECISIONS_ASK = "decisions:ask"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "operator": frozenset(
        {
            Permission.PLAYER_SEARCH,
            Permission.PLAYER_VIEW,
            Permission.PLAYER_EDIT,
            Permission.CALL_LIST,
            Permission.CASES_WORK,
        }
    ),
    "supervisor": frozenset(
        {
            Permission.PLAYER_SEARCH,
            Permission.PLAYER_VIEW,
            Permission.PLAYER_EDIT,
            Permission.REPORTS_VIEW,
            Permission.AUDIT_VIEW,
            Permission.POLICY_VIEW,
            Permission.POLICY_EXEMPT_CAPS,
            Permission.CALL_LIST,
            Permission.TEMPLATE_VIEW,
            Permission.CASES_WORK,
            Permission.CASES_SUPERVISE,
            Permission.CONTACT_CENTRE_CONFIGURE,
        }
    ),
    "marketer": frozenset(
        {
            Permission.REPORTS_VIEW,
            Permission.POLICY_VIEW,
            Permission.TEMPLATE_VIEW,
            Permission.TEMPLATE_EDIT,
            Permission.CAMPAIGN_VIEW,
            Permission.CAMPAIGN_EDIT,
            # The banner example page asks decisions with the marketer's session.
            Permission.DECISIONS_ASK,
        }
    ),
    # The head of marketing (or whoever the operator names): approves what marketers prepare.
    "approver": frozenset(
        {
            Permission.REPORTS_VIEW,
            Permission.POLICY_VIEW,
            Permission.TEMPLATE_VIEW,
            Permission.CAMPAIGN_VIEW,
            Permission.CAMPAIGN_APPROVE,
        }
    ),
    "analyst": frozenset(
        {Permission.PLAYER_SEARCH, Permission.PLAYER_VIEW, Permission.REPORTS_VIEW, Permission.CAMPAIGN_VIEW}
    ),
    # Works the identity review queue: compares two registrations unmasked, finds players to check them.
    "data_steward": frozenset({Permission.IDENTITY_REVIEW, Permission.PLAYER_SEARCH, Permission.PLAYER_VIEW}),
    "admin": frozenset(
        {
            Permission.USERS_MANAGE,
            Permission.AUDIT_VIEW,
            Permission.REPORTS_VIEW,
            Permission.POLICY_VIEW,
            Permission.POLICY_EDIT,
            Permission.TEMPLATE_VIEW,
            Permission.TEMPLATE_EDIT,
            Permission.EVENTS_VIEW,
        }
    ),
}

# Roles that see players only with phone, e-mail, card and name masked.
MASKED_ROLES = frozenset({"analyst"})

# What a machine API key may be scoped to; editing players stays with people.
API_KEY_SCOPES = frozenset(
    {
        Permission.PLAYER_SEARCH,
        Permission.PLAYER_VIEW,
        Permission.REPORTS_VIEW,
        Permission.PUSH_SUBSCRIBE,
        Permission.EVENTS_SEND,
        Permission.DRAWS_PUBLISH,
        Permission.DECISIONS_ASK,
    }
)
