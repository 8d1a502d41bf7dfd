"""The campaign-history file: one row per player contacted (treatment) or held out (control) by a campaign
another system ran, with what that system measured. Validated by the import kit of ``lottocrm.ingest``
(column types, normalised phones and e-mails, ranges, row numbers in every message).

Revenue is in **kopecks**, as every amount in lottocrm (``10000`` is 100 ₽; ``100.00`` is refused).
"""

from __future__ import annotations

from lottocrm.ingest.spec import Column, ColumnType, KindSpec, Normaliser

KIND = "campaign_history"
ARMS = ("treatment", "control")
CHANNELS = ("sms", "email", "push", "call")
# What a stratum is when the file does not give one: the whole campaign is one segment.
WHOLE_CAMPAIGN = "all"

SPEC = KindSpec(
    name=KIND,
    summary=(
        "Contact and response history of campaigns run elsewhere (e.g. exported from SAS): one row per "
        "player and campaign, treated or control, with the response and revenue that system recorded."
    ),
    destination="store",
    target="campaign_members",
    columns=(
        Column(
            "player_id",
            ColumnType.INT64,
            "The player (must exist); or name them by phone or e-mail",
            required=False,
            minimum=1,
        ),
        Column(
            "phone",
            ColumnType.STRING,
            "The player's phone, as recorded among their identities",
            required=False,
            normaliser=Normaliser.PHONE,
        ),
        Column(
            "email",
            ColumnType.STRING,
            "The player's e-mail, as recorded among their identities",
            required=False,
            normaliser=Normaliser.EMAIL,
        ),
        Column(
            "campaign_code",
            ColumnType.STRING,
            "The other system's code of the campaign",
            max_length=40,
            pattern=r"^[A-Za-z0-9_.\-]+$",
            pattern_hint="identifier of latin letters, digits, '_', '.' and '-'",
        ),
        Column(
            "campaign_name",
            ColumnType.STRING,
            "The campaign's name (the same on all its rows)",
            max_length=200,
        ),
        Column("arm", ColumnType.STRING, "Treated (contacted) or held out as the control", allowed=ARMS),
        Column(
            "sent_at",
            ColumnType.TIMESTAMP,
            "When the player was contacted, or chosen for the control",
            not_in_future=True,
        ),
        Column("responded", ColumnType.BOOL, "Whether the player responded within the campaign's window"),
        Column(
            "revenue_kopecks",
            ColumnType.INT64,
            "Revenue from the player in the window",
            required=False,
            unit="kopecks",
            minimum=0,
        ),
        Column(
            "channel",
            ColumnType.STRING,
            "The channel the treated player was contacted on",
            required=False,
            allowed=CHANNELS,
        ),
        Column(
            "stratum",
            ColumnType.STRING,
            "A segment label to break the lift down by (e.g. lifecycle)",
            required=False,
            max_length=40,
        ),
    ),
    notes=(
        "Each row names its player by `player_id`, `phone` or `email` (if several are given they must name "
        "the same player).",
        "One imported campaign with one run is created per distinct `campaign_code`; a code imported "
        "before is refused, and so is the same file twice.",
        "`revenue_kopecks` is given on every row of a campaign or on none (then no spend figures).",
    ),
)
