from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="web",
    commands=(
        Command(
            "serve",
            "lottocrm.cli.serve:serve",
            "Serve the web UI and the JSON API (OpenAPI docs at /api/v1/docs).",
        ),
    ),
)
