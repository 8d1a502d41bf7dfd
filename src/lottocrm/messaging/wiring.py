from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="messaging",
    models=("lottocrm.messaging.models", "lottocrm.messaging.sandbox", "lottocrm.messaging.templates.models"),
    ui=("lottocrm.messaging.ui:router",),
)
