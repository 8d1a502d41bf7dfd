from lottocrm.manifest import Command, Domain, Subscriber

DOMAIN = Domain(
    name="analytics",
    models=(
        "lottocrm.analytics.mart.models",
        "lottocrm.analytics.clv.models",
        "lottocrm.analytics.churn.models",
        "lottocrm.analytics.propensity.models",
        "lottocrm.analytics.clusters.models",
        "lottocrm.analytics.queries.models",
    ),
    api=("lottocrm.analytics.reports.api:router",),
    ui=("lottocrm.analytics.reports.ui:router",),
    commands=(
        Command(
            "report",
            "lottocrm.cli.report:report",
            "Print a report: KPIs by month, cohort retention, funnel, or sales by game, channel or region.",
        ),
        Command(
            "mart",
            "lottocrm.cli.mart:mart",
            "Build the player analytical record as of a date, write it back to the store.",
        ),
        Command(
            "segments",
            "lottocrm.cli.segments:segments_app",
            "Lifecycle segments: how players moved between them.",
        ),
        Command(
            "clv", "lottocrm.cli.clv:clv_app", "Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma."
        ),
        Command(
            "churn",
            "lottocrm.cli.churn:churn_app",
            "Churn model: who stops buying within a window, learnt with LightGBM.",
        ),
        Command(
            "propensity",
            "lottocrm.cli.propensity:propensity_app",
            "Game propensity and the next game to offer each player.",
        ),
        Command(
            "rules",
            "lottocrm.cli.rules:rules",
            "Association rules between games over player baskets: support, confidence and lift (Apriori).",
        ),
        Command(
            "clusters", "lottocrm.cli.clusters:clusters_app", "Gaussian-mixture micro-segments of players."
        ),
    ),
    panels=(
        "lottocrm.analytics.record_panel:player_panels",
        "lottocrm.analytics.clv.panels:player_panels",
        "lottocrm.analytics.churn.panels:player_panels",
        "lottocrm.analytics.propensity.panels:player_panels",
    ),
    events=("lottocrm.analytics.events",),
    subscribers=(
        Subscriber(
            "analytics.refresh_record_reports",
            "analytics.record_written",
            "lottocrm.analytics.queries.refresh:refresh_record_reports",
        ),
        Subscriber(
            "analytics.refresh_ticket_reports",
            "ingest.tickets_committed",
            "lottocrm.analytics.queries.refresh:refresh_lake_reports",
        ),
        Subscriber(
            "analytics.refresh_player_reports",
            "players.registered",
            "lottocrm.analytics.queries.refresh:refresh_lake_reports",
        ),
    ),
)
