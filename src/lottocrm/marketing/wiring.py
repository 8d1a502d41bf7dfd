from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="marketing",
    models=("lottocrm.marketing.segments.models", "lottocrm.marketing.campaigns.models"),
)
