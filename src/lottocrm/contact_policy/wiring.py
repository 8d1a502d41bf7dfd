from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="contact_policy",
    models=("lottocrm.contact_policy.models",),
    ui=("lottocrm.contact_policy.ui:router",),
    panels=("lottocrm.contact_policy.panels:player_panels",),
    timeline=("lottocrm.contact_policy.timeline:CONTACT_HISTORY_TIMELINE",),
)
