from lottocrm.manifest import Command, Domain

DOMAIN = Domain(
    name="simulator",
    commands=(
        Command(
            "simulate",
            "lottocrm.cli.simulate:simulate_app",
            "Simulate a lottery operator: players, games and draws, tickets, wins and sessions.",
        ),
        Command(
            "demo",
            "lottocrm.cli.demo:demo",
            "Simulate the default operator (100 000 players), then serve the web UI.",
        ),
    ),
)
