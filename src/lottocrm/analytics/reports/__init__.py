"""The reports' delivery: the JSON API under /api/v1/reports and the dashboard page (the queries themselves
live in ``lottocrm.analytics.queries``)."""
