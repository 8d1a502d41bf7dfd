from lottocrm.manifest import Command, Domain, Job

DOMAIN = Domain(
    name="loyalty",
    models=("lottocrm.loyalty.models",),
    api=("lottocrm.loyalty.till.api:router", "lottocrm.loyalty.till.rewards_api:router"),
    web_setup=("lottocrm.loyalty.till.fastpath:install",),
    commands=(
        Command(
            "loyalty",
            "lottocrm.cli.loyalty:loyalty_app",
            "The loyalty programme: points ledger, cards, partners, settlement.",
        ),
    ),
    jobs=(
        Job("loyalty.expire_lots", "lottocrm.loyalty.jobs:expire_lots"),
        Job("loyalty.void_stale_holds", "lottocrm.loyalty.jobs:void_stale_holds"),
        Job("loyalty.requalify_tiers", "lottocrm.loyalty.jobs:requalify_tiers"),
    ),
    panels=("lottocrm.loyalty.panels:player_panels",),
    timeline=("lottocrm.loyalty.panels:OPERATIONS_TIMELINE",),
    events=("lottocrm.loyalty.events",),
)
