"""Reports for the dashboard and ``lottocrm report``: Ibis expressions over the lake, run by DuckDB."""
