"""Report queries: typed documents, one runner that owns execution and caching, one shared cache."""
