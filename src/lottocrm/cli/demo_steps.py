"""The steps of ``lottocrm demo``: a full simulated operator to explore, then the web UI.

A plain sequence of steps so later features can add theirs (fit models, score players…). The simulated
history ends ``MONTH_DAYS`` before today; the month of campaigns (cli/demo_campaigns.py) simulates the days
up to yesterday with the campaigns sent in them, so their results are final when the UI opens. It ends by
serving the web UI, so the person trying lottocrm lands on a sign-in page with credentials in hand. Kept
apart from the command (cli/demo.py) because its imports — simulator, loyalty, auth — cost every other
command's start.
"""

from __future__ import annotations

import datetime as dt
import time

import typer
from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.auth.demo import DEMO_PREFIX, create_demo_users, print_demo_users
from lottocrm.auth.models import User
from lottocrm.cli import db, serve
from lottocrm.cli.context import load_settings, progress, say, working
from lottocrm.cli.demo_campaigns import MONTH_DAYS
from lottocrm.cli.mart import show_segment_sizes
from lottocrm.cli.simulate import DEFAULT_PLAYERS, DEFAULT_SEED, report, simulate_into
from lottocrm.db.engine import get_engine, transaction
from lottocrm.db.migrate import schema_state
from lottocrm.lake.schemas import FACT_TABLES
from lottocrm.lake.store import Lake
from lottocrm.loyalty.models import LoyaltyCard
from lottocrm.loyalty.programme import partners
from lottocrm.loyalty.programme.simulate import LoyaltySimulationSummary, simulate_loyalty
from lottocrm.players.models import Player
from lottocrm.settings import Settings
from lottocrm.simulator.ground_truth import PLAYERS_DIR
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import SimulationResult

HOLDOUT_WEEKS = 26
# Every simulated loyalty operation goes through the real ledger services (~10 ms each), so the demo enrols
# a few hundred card holders: enough for the 360 view and the till API, within the demo's 3-minute budget.
DEMO_CARD_HOLDERS = 300
DEMO_TILL_PARTNER = "perekrestok"
# Two as-of dates four weeks apart give the dashboard a segment migration to show right away.
MART_LOOKBACK = dt.timedelta(days=28)
# EM on every buyer (about 87 000 of the 100 000 players), k = 2..10, full and diagonal covariances: 18 s
# measured under load 3-4 (it was two minutes while spikes in the features made EM chase them; see
# analytics/clusters/gmm.py).
DEMO_CLUSTERS = {"max_k": 10}
# Players the demo's welcome campaign goes to: enough to see on the Sandbox page, seconds to send.
DEMO_WELCOME_PLAYERS = 50


def _describe_files(settings: Settings) -> None:
    lake = Lake(settings.lake_path)
    engine = get_engine(settings)
    say("files:")
    say(f"  operational store   {engine.url.render_as_string(hide_password=True)}")
    for table in FACT_TABLES:
        stats = lake.stats(table)
        size_mb = stats.bytes / 1e6
        say(f"  lake {table:<14} {stats.rows:>12,} rows in {stats.files:,} Parquet files, {size_mb:,.0f} MB")
    truth = settings.ground_truth_dir
    parts = len(list((truth / "players").glob("*.parquet")))
    say(f"  ground truth        {truth}/population.json and players/ ({parts} files)")


def _build_marts(settings: Settings, engine: Engine, result: SimulationResult) -> None:
    """The record as of the simulation's end and four weeks before, built as `lottocrm mart` builds it.
    Imported here: Ibis would slow every other command's start."""
    from lottocrm.analytics.mart.build import MartOptions
    from lottocrm.analytics.mart.pipeline import write_records

    end = result.config.end
    written = write_records(
        engine,
        actor=Actor.console(),
        lake=Lake(settings.lake_path),
        options=MartOptions(timezone=settings.timezone),
        days=[end - MART_LOOKBACK, end],
    )
    for day, mart in written.items():
        show_segment_sizes(day, mart)


def fit_models(settings: Settings, engine: Engine, end: dt.date) -> None:
    """Lifetime value, churn, next game to offer and micro-segments as of the simulation's end, each built
    as its own command builds it (`lottocrm clv score`, `churn train`/`score`, `propensity build`,
    `clusters fit`). Imported here: LightGBM and scikit-learn would slow every other command's start."""
    from lottocrm.analytics.churn.pipeline import train_and_score
    from lottocrm.analytics.clusters.gmm import ClusterOptions
    from lottocrm.analytics.clusters.pipeline import build_clusters
    from lottocrm.analytics.clv.pipeline import fit_and_score
    from lottocrm.analytics.propensity.pipeline import build_offers

    with working("lifetime value: BG/NBD and Pareto/NBD fits, scores"):
        clv = fit_and_score(settings, engine, end, actor=Actor.console())
    say(
        f"  lifetime value ({clv.model}): {clv.players:,} players, "
        f"mean P(alive) {clv.mean_probability_alive:.2f}, "
        f"expected purchases in {clv.horizon_days} days {clv.expected_purchases:,.0f}, "
        f"discounted CLV {clv.clv_kopecks / 100:,.0f} ₽ in all"
    )
    with working("churn: LightGBM training, backtest, scores"):
        churn = train_and_score(
            settings,
            engine,
            end,
            actor=Actor.console(),
            truth_players_dir=settings.ground_truth_dir / PLAYERS_DIR,
        )
    model, baseline = churn["holdout"]["model"], churn["holdout"]["recency_baseline"]
    bands = ", ".join(f"{band} {count:,}" for band, count in churn["scored"]["bands"].items())
    say(
        f"  churn model {churn['model_version']} trained as of {churn['training_as_of']}: holdout ROC-AUC "
        f"{model['roc_auc']:.3f} vs recency-only {baseline['roc_auc']:.3f}; risk bands: {bands}"
    )
    with working("game propensity, cross-sell rules, next games to offer (about 2 minutes)"):
        offers = build_offers(settings, engine, end, actor=Actor.console())
    say(
        f"  game propensity (ROC-AUC {offers.fit.auc:.3f} vs played-before {offers.fit.baseline_auc:.3f}), "
        f"{offers.rules.rules.num_rows} association rules, next game to offer for {offers.players:,} players"
    )
    with working("micro-segments: Gaussian mixtures, k chosen by BIC"):
        clusters = build_clusters(
            settings, engine, end, options=ClusterOptions(**DEMO_CLUSTERS), today=end, actor=Actor.console()
        )
    say(f"  {clusters.k} micro-segments chosen by BIC: " + "; ".join(p.label for p in clusters.profiles))


def _resolve_identities(engine: Engine) -> None:
    """The simulator plants duplicate registrations: a full resolution links them and fills the data
    steward's review queue (`lottocrm identity resolve`). Imported here: Splink would slow every start."""
    from lottocrm.identity.pipeline import ResolveOptions, resolve

    with working("duplicate registrations: exact keys, the trained matcher, the review queue"):
        summary = resolve(engine, actor=Actor.console(), options=ResolveOptions())
    say(
        f"  {summary.persons:,} persons hold two or more registrations; "
        f"{summary.review_pending:,} pairs wait for a data steward's review"
    )


def _compute_dashboard(settings: Settings, engine: Engine) -> None:
    """The dashboard's reports, stored before the web UI starts: the demo runs no worker to compute them
    after its imports and write-backs. Imported here: Ibis would slow every other command's start."""
    from lottocrm.analytics.queries.refresh import compute_dashboard

    with working("dashboard reports: KPIs, cohorts, funnel, sales, segments"):
        compute_dashboard(engine, lake=Lake(settings.lake_path))


def _simulate_loyalty(engine: Engine, result: SimulationResult) -> LoyaltySimulationSummary:
    end = dt.datetime.combine(result.config.end, dt.time(), tzinfo=dt.UTC)
    with progress() as bar:
        task = bar.add_task("loyalty card holders", total=DEMO_CARD_HOLDERS)
        summary = simulate_loyalty(
            engine,
            seed=result.config.seed,
            start=end - dt.timedelta(days=365),
            end=end,
            max_holders=DEMO_CARD_HOLDERS,
            actor=Actor.console(),
            on_progress=lambda done: bar.advance(task, done),
        )
    say(
        f"  {summary.partners} partners, {summary.card_holders:,} card holders, "
        f"{summary.purchases:,} partner purchases earning {summary.points_earned:,} points, "
        f"{summary.redemptions:,} redemptions"
    )
    return summary


def _till_credentials(engine: Engine) -> tuple[str, str]:
    """A fresh till key for one partner and a card to try it with (docs/loyalty-till-api.md)."""
    with transaction(engine) as session:
        key = partners.issue_key(
            session,
            partner_id=partners.partner_id_by_code(session, DEMO_TILL_PARTNER),
            now=clock.now(),
            actor=Actor.console(),
            label="demo",
        )
        card = session.scalar(select(LoyaltyCard.number).order_by(LoyaltyCard.id).limit(1))
    return key, card or ""


def _next_steps(result: SimulationResult) -> None:
    end = result.config.end
    calibration_end = end - dt.timedelta(weeks=HOLDOUT_WEEKS)
    holdout_end = end - dt.timedelta(days=1)
    say("try next:")
    say("  lottocrm report kpi                      KPIs by month")
    say("  lottocrm report sales-by-game            sales by game (see the December New Year draw)")
    say(f"  lottocrm clv fit --calibration-end {calibration_end} --holdout-end {holdout_end}")
    say("                                           fit BG/NBD and compare with ground-truth/population.json")
    say("  lottocrm lake stats                      what the fact lake holds")
    say("  lottocrm loyalty settlement --help          who owes whom in the coalition")
    say("  docs/simulator.md                        how the data was generated, and every parameter")


def _send_welcome(settings: Settings, engine: Engine) -> None:
    from lottocrm.messaging.demo import send_welcome

    with working("queueing, sending over SMPP, SMTP and app push, filing calls, a STOP by SMS"):
        result = send_welcome(settings, engine, players=DEMO_WELCOME_PLAYERS)
    say(
        f"{result.queued} messages queued, {result.sent} sent, {result.delivered} SMS delivered, "
        f"{result.held} held until sending hours begin in the player's own time zone"
    )
    if result.calls_filed or result.calls_held:
        say(
            f"{result.calls_filed} welcome calls filed for operators (sign in as demo-operator: /call-list), "
            f"{result.calls_held} held until calling hours begin in the player's own time zone"
        )
    if result.stopped_player is not None:
        say(f"player {result.stopped_player} texted STOP: their next SMS is stopped ({result.stop_reason})")
    say("what the gateways received: the Sandbox page (sign in as demo-marketer)")


def _run_campaigns(settings: Settings, engine: Engine, result: SimulationResult) -> None:
    from lottocrm.cli import demo_campaigns

    with progress() as bar:
        task = bar.add_task("the month's days, with the campaigns sent on theirs", total=MONTH_DAYS)
        month = demo_campaigns.run_month(
            settings, engine, start=result.config.end, on_day=lambda: bar.advance(task)
        )
    demo_campaigns.describe(month, demo_campaigns.results(settings, engine, month))
    say("results with intervals: the Campaigns page (sign in as demo-marketer or demo-analyst)")


def _set_up_banners(engine: Engine) -> None:
    from lottocrm.marketing.decisions import demo as banners

    made = banners.seed(engine)
    say(f"the home page's banner slot with {made.offers} offers: the Banners page (sign in as demo-marketer)")
    shown = (("may receive offers", made.allowed_player), ("is self-excluded", made.self_excluded_player))
    for who, player in shown:
        if player is not None:
            say(f"  example page, a player who {who}: /banners/example?player_id={player}")


def _holds_a_demo(settings: Settings) -> bool:
    """A data folder the demo filled before: players and the demo's accounts (a real operator's folder has
    no ``demo-admin``)."""
    if schema_state(settings.db_url) != "current":
        return False
    engine = get_engine(settings)
    with transaction(engine) as session:
        has_players = session.scalar(select(Player.id).limit(1)) is not None
        has_demo_admin = session.scalar(select(User.id).where(User.username == f"{DEMO_PREFIX}admin"))
    return has_players and has_demo_admin is not None


def _sign_in_details(engine: Engine, *, host: str, port: int, key: str, card: str) -> None:
    """The result of the demo, so printed even under --quiet: fresh passwords and a till key."""
    typer.echo(f"till API (docs/loyalty-till-api.md): KEY={key} CARD={card}")
    print_demo_users(create_demo_users(engine), url=f"http://{host}:{port}/", echo=typer.echo)


def run(*, replace: bool, serve_ui: bool, host: str, port: int) -> None:
    """Every step in order, then the web UI (``serve_ui``); ``replace`` clears a data folder already used.
    Run again on its own folder, the demo keeps the data, gives the demo accounts new passwords and serves."""
    started = time.monotonic()
    settings = load_settings()
    engine = get_engine(settings)
    if not replace and schema_state(settings.db_url) == "outdated":
        # A demo made by an earlier version: its schema is brought up to date, then the demo is reused.
        say("[bold]the data folder's schema is older than this version: upgrading it[/]")
        db.init()
    if not replace and _holds_a_demo(settings):
        say(f"{settings.data_dir} already holds the demo (`lottocrm demo --replace` simulates a new one)")
        _compute_dashboard(settings, engine)  # whatever an upgrade's new report definitions miss
        key, card = _till_credentials(engine)
        _sign_in_details(engine, host=host, port=port, key=key, card=card)
        if serve_ui:
            serve.serve(host=host, port=port, workers=1)
        return
    say("[bold]1. data folder[/]")
    db.init()
    say(f"[bold]2. simulating a lottery operator with {DEFAULT_PLAYERS:,} players[/]")
    # The history ends a month ago: the month up to yesterday is simulated with the demo's campaigns in it.
    end = clock.operator_day() - dt.timedelta(days=MONTH_DAYS)
    config = SimulationConfig(players=DEFAULT_PLAYERS, seed=DEFAULT_SEED, end=end)
    result = simulate_into(settings, config, replace=replace)
    say("[bold]3. loyalty programme[/]")
    _simulate_loyalty(engine, result)
    key, card = _till_credentials(engine)
    say("[bold]4. player analytical record and lifecycle segments[/]")
    _build_marts(settings, engine, result)
    say("[bold]5. lifetime value, churn, next game to offer, micro-segments, duplicate registrations[/]")
    fit_models(settings, engine, result.config.end)
    _resolve_identities(engine)
    say("[bold]6. a month of campaigns: segments, four-eyes approval, control groups, results[/]")
    _run_campaigns(settings, engine, result)
    _compute_dashboard(settings, engine)
    say("[bold]7. a welcome message through the contact policy and the local gateways[/]")
    _send_welcome(settings, engine)
    _set_up_banners(engine)
    say("[bold]8. what was created[/]")
    report(result)
    _describe_files(settings)
    say(f"[bold]done in {time.monotonic() - started:,.0f} s[/]")
    _next_steps(result)
    say("[bold]9. web UI[/]")
    _sign_in_details(engine, host=host, port=port, key=key, card=card)
    if serve_ui:
        serve.serve(host=host, port=port, workers=1)
