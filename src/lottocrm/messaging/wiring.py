from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="messaging",
    models=("lottocrm.messaging.models", "lottocrm.messaging.sandbox"),
    ui=("lottocrm.messaging.ui:router",),
)
