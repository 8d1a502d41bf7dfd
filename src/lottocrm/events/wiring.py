from lottocrm.manifest import Domain

DOMAIN = Domain(name="events", models=("lottocrm.events.models",))
