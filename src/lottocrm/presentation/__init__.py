"""UI-neutral typed values (money, days, moments, message ids) and the one place they become text.

Domains describe what they show with these values; the API shows their English text, a page formats them
in the reader's language. Any screen — the 360, a case, a campaign report — renders the same values.
"""
