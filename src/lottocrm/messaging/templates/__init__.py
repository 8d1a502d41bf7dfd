"""Message templates: a body per channel (SMS, e-mail subject/text/HTML, push title/body) written in a
narrowed Jinja2 sandbox, with Russian money, dates and plurals, validated when saved, immutable once
published, previewed with each SMS's parts and cost.

- :mod:`.service`: the API (create, draft, publish, archive, preview, ``renderer_for`` for the dispatcher).
- :mod:`.variables`: the closed set of variables (``available_variables()`` for the editor).
- :mod:`.filters`: ``money``, ``points``, ``number``, ``date``, ``plural``, ``first_name``, a few text ones.
- :mod:`.sandbox` and :mod:`.render`: what a template can reach and how much work a render may do.
- :mod:`.validation`: the checks at save and publish time.
"""
