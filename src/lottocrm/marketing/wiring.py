from lottocrm.manifest import Domain, Job

DOMAIN = Domain(
    name="marketing",
    models=("lottocrm.marketing.segments.models", "lottocrm.marketing.campaigns.models"),
    ui=("lottocrm.marketing.segments.ui:router", "lottocrm.marketing.campaigns.ui:router"),
    api=("lottocrm.marketing.segments.api:router", "lottocrm.marketing.campaigns.api:router"),
    jobs=(Job("marketing.launch_campaign", "lottocrm.marketing.campaigns.launch_jobs:launch_campaign"),),
)
