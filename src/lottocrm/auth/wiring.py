from lottocrm.manifest import Command, Domain, Job

DOMAIN = Domain(
    name="auth",
    models=("lottocrm.auth.models",),
    ui=("lottocrm.auth.ui:router", "lottocrm.auth.admin_ui:router"),
    commands=(
        Command(
            "user",
            "lottocrm.cli.user:user_app",
            "Staff accounts: create, disable, enable, unlock, reset a password, change a role.",
        ),
        Command(
            "apikey", "lottocrm.cli.apikey:apikey_app", "Create and revoke API keys for machine clients."
        ),
    ),
    jobs=(Job("auth.purge_sessions", "lottocrm.auth.jobs:purge_sessions"),),
)
