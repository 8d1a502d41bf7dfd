from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="messaging",
    models=("lottocrm.messaging.models",),
    ui=("lottocrm.messaging.ui:router",),
)
