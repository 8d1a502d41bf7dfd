from lottocrm.manifest import Domain, Job, Subscriber

DOMAIN = Domain(
    name="players",
    models=("lottocrm.players.models",),
    api=("lottocrm.players.api:router",),
    ui=("lottocrm.players.ui:router",),
    timeline=("lottocrm.players.history:CONSENT_TIMELINE", "lottocrm.players.history:CONTACT_TIMELINE"),
    events=("lottocrm.players.events",),
    jobs=(Job("players.calendar_day", "lottocrm.players.calendar:calendar_day"),),
    subscribers=(
        Subscriber(
            "players.check_spend_limits",
            "ingest.tickets_committed",
            "lottocrm.players.spend_limits:check_spend_limits",
        ),
    ),
)
