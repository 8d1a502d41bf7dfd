from lottocrm.manifest import Command, Domain, Job

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
    commands=(
        Command(
            "contact-centre",
            "lottocrm.cli.contact_centre:contact_centre_app",
            "The contact centre: recompute the SLA due times of open cases.",
        ),
    ),
    jobs=(
        Job("contact_centre.sla_check", "lottocrm.contact_centre.sla.jobs:check"),
        Job("contact_centre.sla_recompute", "lottocrm.contact_centre.sla.jobs:recompute"),
    ),
    timeline=(
        "lottocrm.contact_centre.interactions.timeline:INTERACTION_TIMELINE",
        "lottocrm.contact_centre.cases.timeline:CASE_TIMELINE",
    ),
    events=("lottocrm.contact_centre.events",),
)
