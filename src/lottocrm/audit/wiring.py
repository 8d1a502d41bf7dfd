from lottocrm.manifest import Domain

DOMAIN = Domain(name="audit", models=("lottocrm.audit.models",), ui=("lottocrm.audit.ui:router",))
