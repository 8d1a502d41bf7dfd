from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="db",
    commands=(
        Command(
            "init",
            "lottocrm.cli.db:init",
            "Create the data folder (store, lake, ground truth) and the database schema.",
        ),
        Command("db", "lottocrm.cli.db:db_app", "Create, migrate and inspect the operational database."),
    ),
)
