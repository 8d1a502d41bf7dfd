from lottocrm.manifest import Domain, Subscriber

DOMAIN = Domain(
    name="player_events",
    models=("lottocrm.player_events.models",),
    api=("lottocrm.player_events.api:router",),
    ui=("lottocrm.player_events.ui:router",),
    events=("lottocrm.player_events.events",),
    subscribers=(
        Subscriber(
            "player_events.link_registered",
            "players.registered",
            "lottocrm.player_events.linking:link_registered",
        ),
    ),
)
