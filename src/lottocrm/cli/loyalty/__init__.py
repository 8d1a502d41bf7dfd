"""``lottocrm loyalty …``: the loyalty programme at the console, one module per command group.

Commands parse and print; the services they call record who acted (``cli:<--by or the OS account>``) in the
audit log, in the command's own transaction.
"""

from __future__ import annotations

from lottocrm.cli.loyalty import card, partner, points, reward, rule

loyalty_app = points.app
loyalty_app.add_typer(card.app, name="card")
loyalty_app.add_typer(partner.app, name="partner")
loyalty_app.add_typer(rule.app, name="rule")
loyalty_app.add_typer(reward.app, name="reward")
