from lottocrm.manifest import Domain

DOMAIN = Domain(name="catalog", models=("lottocrm.catalog.models",))
