from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="contact_policy",
    # tracking: the session hooks that keep the contactability rows in step, installed with the tables.
    models=("lottocrm.contact_policy.models", "lottocrm.contact_policy.tracking"),
    ui=("lottocrm.contact_policy.ui:router",),
    commands=(
        Command(
            "contact-policy",
            "lottocrm.cli.contact_policy:contact_policy_app",
            "The contact policy's contactability rows: check them against the facts, rebuild them.",
        ),
    ),
    panels=("lottocrm.contact_policy.panels:player_panels",),
    timeline=("lottocrm.contact_policy.timeline:CONTACT_HISTORY_TIMELINE",),
)
