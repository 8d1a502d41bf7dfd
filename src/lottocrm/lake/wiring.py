from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="lake",
    commands=(Command("lake", "lottocrm.cli.lake:lake_app", "Inspect, compact and clean the fact lake."),),
)
