from lottocrm.manifest import Command, Domain, Job, Subscriber

DOMAIN = Domain(
    name="marketing",
    models=(
        "lottocrm.marketing.segments.models",
        "lottocrm.marketing.campaigns.models",
        "lottocrm.marketing.boosts.models",
        "lottocrm.marketing.campaigns.offer_models",
        "lottocrm.marketing.journeys.models",
        "lottocrm.marketing.decisions.models",
    ),
    events=("lottocrm.marketing.history.events",),
    ui=(
        "lottocrm.marketing.segments.ui:router",
        "lottocrm.marketing.campaigns.ui:router",
        "lottocrm.marketing.boosts.ui:router",
        "lottocrm.marketing.reporting.ui:router",
        "lottocrm.marketing.journeys.ui:router",
        "lottocrm.marketing.decisions.ui:router",
    ),
    api=(
        "lottocrm.marketing.segments.api:router",
        "lottocrm.marketing.campaigns.api:router",
        "lottocrm.marketing.boosts.api:router",
        "lottocrm.marketing.reporting.api:router",
        "lottocrm.marketing.journeys.api:router",
        "lottocrm.marketing.decisions.api:router",
    ),
    timeline=("lottocrm.marketing.campaigns.timeline:CAMPAIGN_TIMELINE",),
    message_values=(
        "lottocrm.marketing.campaigns.offers:promo_code_values",
        "lottocrm.marketing.journeys.giving:promo_code_values",
    ),
    jobs=(
        Job("marketing.launch_campaign", "lottocrm.marketing.campaigns.launch_jobs:launch_campaign"),
        Job("marketing.watch_jackpots", "lottocrm.marketing.campaigns.jackpot:watch_jackpots"),
        Job("marketing.credit_offer_points", "lottocrm.marketing.campaigns.offer_points:credit_offer_points"),
        Job("marketing.journey_triggers", "lottocrm.marketing.journeys.runner:journey_triggers"),
        Job("marketing.wake_journeys", "lottocrm.marketing.journeys.runner:wake_journeys"),
    ),
    subscribers=(
        # Each stored batch of the website's events wakes the trigger reader (trigger → message in seconds).
        Subscriber(
            "marketing.journeys_read_triggers",
            "player_events.accepted",
            "lottocrm.marketing.journeys.runner:read_triggers_now",
        ),
        Subscriber(
            "marketing.journeys_start_registered",
            "players.registered",
            "lottocrm.marketing.journeys.runner:start_registered",
        ),
        # The system's own facts as journey triggers (``journeys/system_triggers.py``).
        Subscriber(
            "marketing.journeys_on_wins",
            "ingest.wins_committed",
            "lottocrm.marketing.journeys.system_triggers:start_on_wins",
        ),
        Subscriber(
            "marketing.journeys_on_calendar_day",
            "players.calendar_day",
            "lottocrm.marketing.journeys.system_triggers:start_on_calendar",
        ),
        Subscriber(
            "marketing.journeys_on_churn_risk",
            "analytics.churn_risk_crossed",
            "lottocrm.marketing.journeys.system_triggers:start_on_churn_risk",
        ),
        Subscriber(
            "marketing.journeys_on_tier_change",
            "loyalty.tier_changed",
            "lottocrm.marketing.journeys.system_triggers:start_on_tier_change",
        ),
        Subscriber(
            "marketing.journeys_stop_for_responsible_gaming",
            "players.responsible_gaming_changed",
            "lottocrm.marketing.journeys.runner:stop_for_responsible_gaming",
        ),
        # The decision service's players in memory are forgotten on these (``decisions/state.py``).
        Subscriber(
            "decisions.forget_player_on_consent",
            "players.consent_changed",
            "lottocrm.marketing.decisions.state:forget_player",
        ),
        Subscriber(
            "decisions.forget_player_on_responsible_gaming",
            "players.responsible_gaming_changed",
            "lottocrm.marketing.decisions.state:forget_player",
        ),
    ),
    commands=(
        Command(
            "campaign",
            "lottocrm.cli.campaigns:campaign_app",
            "Campaigns: results with confidence intervals, the global holdout's month, and history imported "
            "from another system.",
        ),
    ),
)
