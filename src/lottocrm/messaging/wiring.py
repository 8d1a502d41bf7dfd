from lottocrm.manifest import Command, Domain, Subscriber

# A change of these can stop a call already filed for an operator (call_list/recheck.py).
_RECHECK_CALLS = "lottocrm.messaging.call_list.subscribers:recheck_open_calls"

DOMAIN = Domain(
    name="messaging",
    models=(
        "lottocrm.messaging.models",
        "lottocrm.messaging.sandbox",
        "lottocrm.messaging.templates.models",
        "lottocrm.messaging.call_list.models",
    ),
    ui=(
        "lottocrm.messaging.ui:router",
        "lottocrm.messaging.call_list.ui:router",
        "lottocrm.messaging.templates.ui:router",
    ),
    api=("lottocrm.messaging.api:router",),
    commands=(
        Command(
            "gateways",
            "lottocrm.cli.messaging:gateways",
            "Run a local SMSC (SMPP), SMTP sink and web push endpoint on loopback until Ctrl-C.",
        ),
        Command(
            "dispatch",
            "lottocrm.cli.messaging:dispatch",
            "Send queued messages through the channels configured by LOTTOCRM_SMPP_*, _SMTP_*, _FCM_* and "
            "_VAPID_*.",
        ),
    ),
    subscribers=(
        Subscriber(
            "messaging.recheck_calls.responsible_gaming", "players.responsible_gaming_changed", _RECHECK_CALLS
        ),
        Subscriber("messaging.recheck_calls.consent", "players.consent_changed", _RECHECK_CALLS),
        Subscriber("messaging.recheck_calls.identity", "players.identity_changed", _RECHECK_CALLS),
    ),
)
