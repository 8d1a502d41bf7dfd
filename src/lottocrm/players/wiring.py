from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="players",
    models=("lottocrm.players.models",),
    api=("lottocrm.players.api:router",),
    ui=("lottocrm.players.ui:router",),
    timeline=("lottocrm.players.history:CONSENT_TIMELINE", "lottocrm.players.history:CONTACT_TIMELINE"),
    events=("lottocrm.players.events",),
)
