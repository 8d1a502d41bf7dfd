"""lottocrm — an open-source CRM platform for lottery operators."""

__version__ = "0.1.0"
