from lottocrm.manifest import Domain, Job

DOMAIN = Domain(
    name="contact_centre",
    models=(
        "lottocrm.contact_centre.teams.models",
        "lottocrm.contact_centre.cases.models",
        "lottocrm.contact_centre.interactions.models",
        "lottocrm.contact_centre.sla.models",
    ),
    api=(
        "lottocrm.contact_centre.interactions.api:router",
        "lottocrm.contact_centre.cases.api:router",
        "lottocrm.contact_centre.teams.api:router",
    ),
    ui=("lottocrm.contact_centre.cases.ui:router",),
    jobs=(Job("contact_centre.sla_check", "lottocrm.contact_centre.sla.jobs:check"),),
    timeline=("lottocrm.contact_centre.interactions.timeline:INTERACTION_TIMELINE",),
    events=("lottocrm.contact_centre.events",),
)
