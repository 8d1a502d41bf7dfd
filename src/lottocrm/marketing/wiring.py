from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="marketing",
    models=("lottocrm.marketing.segments.models", "lottocrm.marketing.campaigns.models"),
    events=("lottocrm.marketing.history.events",),
    api=("lottocrm.marketing.reporting.api:router",),
    commands=(
        Command(
            "campaign",
            "lottocrm.cli.campaigns:campaign_app",
            "Campaigns: results with confidence intervals, and history imported from another system.",
        ),
    ),
)
