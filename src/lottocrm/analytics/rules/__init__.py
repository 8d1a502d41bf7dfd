"""Association rules between games over player baskets: Apriori, level by level, in the engine."""
