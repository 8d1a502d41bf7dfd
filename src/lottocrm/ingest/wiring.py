from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="ingest",
    models=("lottocrm.ingest.models",),
    api=("lottocrm.ingest.draws.api:router",),
    commands=(
        Command(
            "import",
            "lottocrm.cli.importing:import_app",
            "Import players, identities, consents, games, draws, points of sale, tickets, wins or sessions.",
        ),
    ),
    events=("lottocrm.ingest.events",),
)
