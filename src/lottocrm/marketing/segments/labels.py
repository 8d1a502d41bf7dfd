"""Names for people of the segment language's operators and fixed values (English message ids, translated
where they are shown); the fields' own names are in ``fields.py``."""

from __future__ import annotations

from lottocrm.marketing.segments.fields import LIFECYCLE, FieldSpec

OPERATOR_LABELS = {
    "eq": "equals",
    "ne": "does not equal",
    "lt": "less than",
    "le": "at most",
    "gt": "more than",
    "ge": "at least",
    "between": "from … to",
    "in": "one of",
    "not_in": "none of",
    "known": "is known",
    "unknown": "is unknown",
    "is_true": "yes",
    "is_false": "no",
    "before": "before",
    "after": "after",
    "within_last_days": "in the last N days",
    "more_than_days_ago": "more than N days ago",
}
GROUP_LABELS = {
    "profile": "Profile",
    "record": "Analytical record",
    "clv": "Lifetime value",
    "churn": "Churn",
    "propensity": "Game propensity",
    "next_game": "Next game",
    "cluster": "Micro-segment",
    "loyalty": "Loyalty",
    "contact": "Contactability",
    "behaviour": "Behaviour (from the lake)",
    "campaigns": "Campaign history",
}
_LIFECYCLE_LABELS = dict(
    zip(
        LIFECYCLE,
        ("Registered, no purchase", "New", "Active", "VIP", "At risk", "Sleeping", "Churned", "Deep churn"),
        strict=True,
    )
)
_VALUE_LABELS = {
    "profile.gender": {"M": "male", "F": "female"},
    "record.segment": _LIFECYCLE_LABELS,
    "churn.band": {"low": "Low", "medium": "Medium", "high": "High"},
}


def choice_labels(spec: FieldSpec) -> list[tuple[str, str]]:
    """The fixed values of a choice field with their message ids (the value itself where it is a word of
    the vocabulary already translated: channels)."""
    labels = _VALUE_LABELS.get(spec.name, {})
    return [(value, labels.get(value, value)) for value in spec.choices or ()]


STEP_LABELS = {
    "no_contact_data": "No contact data yet",
    "responsible_gaming": "Responsible gaming, age, blocked accounts",
    "consent": "No consent",
    "reachability": "No address or unreachable",
    "caps": "Contact caps reached",
}


# Strata that are not lifecycle segments: players the record did not hold, and imported history's one stratum.
_OTHER_STRATA = {"unknown": "Not in the analytical record", "all": "All players"}


def lifecycle_label(code: str) -> str:
    """The message id of a lifecycle segment's name (the code itself for one the catalogue does not know)."""
    return _LIFECYCLE_LABELS.get(code) or _OTHER_STRATA.get(code, code)
