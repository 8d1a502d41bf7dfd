"""Events about players from the operator's website and app: accepted in batches, validated per type, kept
once per event id; the invalid ones are kept aside with the reason (the dead letters)."""
