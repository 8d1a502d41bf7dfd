"""Churn model: who stops buying within a window after an as-of date, learnt with LightGBM from the mart."""
