from lottocrm.manifest import Domain

DOMAIN = Domain(
    name="contact_policy",
    models=("lottocrm.contact_policy.models",),
)
