"""Analytical CRM: marts, models and reports over the fact lake (Ibis expressions, DuckDB by default)."""
