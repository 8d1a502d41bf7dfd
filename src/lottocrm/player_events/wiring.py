from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="player_events",
    models=("lottocrm.player_events.models",),
    api=("lottocrm.player_events.api:router",),
    ui=("lottocrm.player_events.ui:router",),
)
