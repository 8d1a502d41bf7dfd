from lottocrm.manifest import Command, Domain, Job

DOMAIN = Domain(
    name="identity",
    models=("lottocrm.identity.models",),
    ui=("lottocrm.identity.ui:router",),
    commands=(
        Command(
            "identity",
            "lottocrm.cli.identity:identity_app",
            "Identity resolution: find the registrations that are one person, queue the doubtful pairs.",
        ),
    ),
    jobs=(Job("identity.resolve", "lottocrm.identity.jobs:resolve_job"),),
    events=("lottocrm.identity.events",),
)
