from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="contact_centre",
    models=(
        "lottocrm.contact_centre.teams.models",
        "lottocrm.contact_centre.cases.models",
        "lottocrm.contact_centre.interactions.models",
        "lottocrm.contact_centre.sla.models",
    ),
)
