"""The demo's month of campaigns: the reference operator's programme run on the demo's simulated operator.

The operator's history ends ``MONTH_DAYS`` before today; the month up to yesterday is simulated here, day by
day, with the campaigns sent in it: a welcome chain to players who registered without buying, a VIP reward,
an upsell to active players with a small average check, churn prevention for the high churn band, and
reactivation at three churn depths. Each goes the marketer's way — a saved segment, a campaign with a 10 %
control written by demo-marketer, approved by demo-approver (four eyes), launched by the real launch path —
and players respond as the simulator's planted effects say, so every campaign's results page has figures with
intervals, measured after its response window has closed.

Every treated player's message is queued; only a sample of each send day's messages goes through the local
gateways (SMPP, SMTP, push), at the moment of the send: the demo has no time to push tens of thousands of
messages over loopback, and the outcome is measured on who was chosen, sent or not. The rest are cancelled
with the reason written on them, so no month-old offer leaves later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import say
from lottocrm.cli.simulate import campaign_members
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns import service as campaigns
from lottocrm.marketing.campaigns.approval import ControlTooSmall, approve_campaign
from lottocrm.marketing.campaigns.launch import launch
from lottocrm.marketing.campaigns.models import CampaignMember, CampaignRun
from lottocrm.marketing.reporting.schemas import CampaignResults
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.marketing.segments import service as segments
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxRecorder
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from lottocrm.settings import Settings
from lottocrm.simulator.advance import advance

MONTH_DAYS = 28
# The operator's wall clock at each send: within sending hours (09–21) from Kaliningrad to Kamchatka.
SEND_AT = dt.time(11, 0)
PREPARED_BEFORE = dt.timedelta(hours=1)
AUTHOR, APPROVER = Actor("user:demo-marketer"), Actor("user:demo-approver")
WINDOW_DAYS = 14
CONTROL_SHARE = 0.10
# Messages per campaign and channel that really go through the local gateways. No cost per message is set:
# the cost of a sample would make the return on it absurd.
SAMPLE_PER_CHANNEL = 5
NOT_SAMPLED = "demo: only a sample of the campaign's messages was dispatched"
LAPSED = ("sleeping", "churned", "deep_churn")
UNSUBSCRIBE = "\n\nНе хотите получать наши письма? Отпишитесь: {{ unsubscribe_url }}"


def _segment(field_name: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field_name, "op": op, "value": value}


def _bodies(sms: str, subject: str, email: str, push_title: str) -> Bodies:
    return Bodies(
        sms_text=f"{{{{ first_name }}}}, {sms} Отписка: СТОП",
        email_subject=subject,
        email_text=f"{{{{ first_name }}}}, здравствуйте!\n\n{email}{UNSUBSCRIBE}",
        push_title=push_title,
        push_body=f"{{{{ first_name }}}}, {sms}",
    )


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    day: int  # days after the history's end
    segment_name: str
    segment: dict[str, Any]
    bodies: Bodies
    # The second step of a chain: only the treated of the campaign with this code.
    after: str | None = None


PLANS = (
    Plan(
        "welcome-1",
        "Цепочка приветствия, шаг 1: первая покупка",
        0,
        "Зарегистрировались, но не купили",
        _segment("record.segment", "eq", "registered_no_purchase"),
        _bodies(
            "ваш первый билет ждёт вас: в субботу суперприз 500 млн ₽.",
            "Ваш первый билет",
            "Вы с нами, но ещё не сыграли. Первый билет — в приложении и в любом киоске.",
            "Ваш первый билет",
        ),
    ),
    Plan(
        "vip-reward",
        "Награда VIP-игрокам",
        0,
        "VIP-игроки",
        _segment("record.segment", "eq", "vip"),
        _bodies(
            "спасибо, что вы с нами: двойные баллы на билеты до конца недели.",
            "Двойные баллы для вас",
            "Спасибо за верность: до конца недели баллы за билеты начисляются вдвойне.",
            "Двойные баллы",
        ),
    ),
    *(
        Plan(
            f"reactivation-{depth}",
            f"Реактивация: {label}",
            0,
            f"Отток: {label}",
            _segment("record.segment", "eq", depth),
            _bodies(
                "мы скучаем! В субботу тираж с суперпризом 500 млн ₽.",
                "Мы скучаем по вам",
                "Давно не виделись. В субботу — тираж с суперпризом 500 млн ₽.",
                "Мы скучаем",
            ),
        )
        for depth, label in zip(LAPSED, ("уснувшие", "ушедшие", "глубокий отток"), strict=True)
    ),
    Plan(
        "churn-prevention",
        "Удержание: высокий риск оттока",
        3,
        "Высокий риск оттока среди играющих",
        {
            "all": [
                _segment("churn.band", "eq", "high"),
                _segment("record.segment", "in", ["new", "active", "vip", "at_risk"]),
            ]
        },
        _bodies(
            "для вас бонус 100 баллов к следующему билету.",
            "Бонус к следующему билету",
            "Дарим 100 баллов к следующему билету — они ждут вас на карте.",
            "Бонус 100 баллов",
        ),
    ),
    Plan(
        "upsell",
        "Рост среднего чека: активные игроки",
        3,
        "Активные с небольшим средним чеком",
        {
            "all": [
                _segment("record.segment", "eq", "active"),
                _segment("record.average_check", "lt", 30_000),
                {"not": _segment("churn.band", "eq", "high")},
            ]
        },
        _bodies(
            "три билета по цене двух на субботний тираж.",
            "Три билета по цене двух",
            "На субботний тираж — три билета по цене двух.",
            "Три по цене двух",
        ),
    ),
    Plan(
        "welcome-2",
        "Цепочка приветствия, шаг 2: напоминание",
        7,
        "Получили приветствие, но не купили",
        _segment("record.segment", "eq", "registered_no_purchase"),
        _bodies(
            "напоминаем: первый билет можно купить за минуту в приложении.",
            "Первый билет — за минуту",
            "Напоминаем: первый билет можно купить за минуту в приложении или в киоске рядом с домом.",
            "Первый билет за минуту",
        ),
        after="welcome-1",
    ),
)


@dataclass
class MonthResult:
    campaigns: dict[str, int] = field(default_factory=dict)  # plan code → campaign id
    sampled: int = 0
    cancelled: int = 0
    unmeasured: list[str] = field(default_factory=list)  # approved accepting a small control


def send_moment(start: dt.date, day: int) -> dt.datetime:
    local = dt.datetime.combine(start + dt.timedelta(days=day), SEND_AT, clock.operator_zone())
    return local.astimezone(dt.UTC)


def run_month(
    settings: Settings, engine: Engine, *, start: dt.date, on_day: Callable[[], None] = lambda: None
) -> MonthResult:
    """Simulate ``MONTH_DAYS`` days from ``start`` (the first day the history does not hold), sending each
    plan on its day; simulated time ends on the last day before ``start + MONTH_DAYS``."""
    result = MonthResult()
    lake = Lake(settings.lake_path)
    simulated = 0
    for day in sorted({plan.day for plan in PLANS}):
        simulated += _advance(settings, engine, lake, days=day - simulated, on_day=on_day)
        moment = send_moment(start, day)
        today = [plan for plan in PLANS if plan.day == day]
        for plan in today:
            result.campaigns[plan.code] = _send(engine, plan, result, moment)
        sent_today = [result.campaigns[plan.code] for plan in today]
        with clock.frozen(moment):
            sent, cancelled = _dispatch_sample(engine, _run_ids(engine, sent_today))
        result.sampled += sent
        result.cancelled += cancelled
    _advance(settings, engine, lake, days=MONTH_DAYS - simulated, on_day=on_day)
    return result


def _advance(settings: Settings, engine: Engine, lake: Lake, *, days: int, on_day: Callable[[], None]) -> int:
    if days > 0:
        advance(
            truth_dir=settings.ground_truth_dir,
            engine=engine,
            lake=lake,
            days=days,
            members=campaign_members(engine),
            on_day=lambda _day: on_day(),
        )
    return max(days, 0)


def _send(engine: Engine, plan: Plan, result: MonthResult, moment: dt.datetime) -> int:
    """Template, segment and campaign by the marketer and approval by the approver an hour before
    ``moment``, each its own transaction as in the UI; the launch at ``moment``."""
    with clock.frozen(moment - PREPARED_BEFORE):
        campaign_id = _prepare(engine, plan, result, moment)
    with clock.frozen(moment):
        launch(engine, campaign_id=campaign_id)
    return campaign_id


def _prepare(engine: Engine, plan: Plan, result: MonthResult, moment: dt.datetime) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code=f"demo-{plan.code}", name=plan.name, message_class="marketing"
        )
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=plan.bodies)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        definition = plan.segment
        if plan.after is not None:
            received = {
                "field": "campaigns.received",
                "params": {"campaign": result.campaigns[plan.after]},
                "op": "is_true",
            }
            definition = {"all": [definition, received]}
        segment = segments.create_segment(
            session, actor=AUTHOR, name=plan.segment_name, definition=definition
        )
        campaign = campaigns.create_campaign(
            session,
            actor=AUTHOR,
            name=plan.name,
            segment_id=segment.segment_id,
            definition={
                "channels": ["sms", "push", "email"],
                "variants": [{"name": "A", "template_id": template.id}],
                "schedule": {"kind": "once", "at": moment.isoformat()},
                "control_share": CONTROL_SHARE,
                "response": {"kind": "purchase", "window_days": WINDOW_DAYS},
                "description": "Демо: месяц кампаний эталонного оператора.",
            },
        )
    try:
        with transaction(engine) as session:
            approve_campaign(session, actor=APPROVER, campaign_id=campaign.id)
    except ControlTooSmall:
        # The approval judges the control's power by the segment's purchases within one window back, which
        # a segment of players who have not bought lately lacks by definition (and a small one may have too
        # few): its approver accepts, and the demo names those campaigns.
        with transaction(engine) as session:
            approve_campaign(session, actor=APPROVER, campaign_id=campaign.id, accept_small_control=True)
        result.unmeasured.append(plan.code)
    return campaign.id


def _dispatch_sample(engine: Engine, run_ids: list[int]) -> tuple[int, int]:
    """Keep ``SAMPLE_PER_CHANNEL`` messages of each run and channel, cancel the rest, send the kept ones
    through the local gateways with their delivery receipts, and cancel what quiet hours still hold (it
    would leave a month late); how many were sent and cancelled."""
    cancelled = _cancel_queued(engine, run_ids, keep=_sample_ids(engine, run_ids))

    async def run() -> int:
        recorder = SandboxRecorder(engine)
        gateways = LocalGateways(recorder)
        await gateways.start()
        try:
            async with Sender(engine, gateways.transports()) as sender:
                reports = await sender.drain()
                await _receipts(sender, reports["sms"].sent)
                return sum(report.sent for report in reports.values())
        finally:
            await gateways.stop()
            recorder.close()

    sent = asyncio.run(run())
    return sent, cancelled + _cancel_queued(engine, run_ids, keep=[])


def _sample_ids(engine: Engine, run_ids: list[int]) -> list[int]:
    members = CampaignMember.__table__
    with transaction(engine) as session:
        rows = session.execute(
            select(members.c.run_id, Message.channel, Message.id)
            .join(Message, Message.id == members.c.message_id)
            .where(members.c.run_id.in_(run_ids), Message.status == "queued")
            .order_by(Message.id)
        ).all()
    taken: dict[tuple[int, str], int] = {}
    kept = []
    for run_id, channel, message_id in rows:
        if taken.get((run_id, channel), 0) < SAMPLE_PER_CHANNEL:
            taken[run_id, channel] = taken.get((run_id, channel), 0) + 1
            kept.append(message_id)
    return kept


async def _receipts(sender: Sender, expected: int) -> None:
    for _ in range(100):  # receipts arrive on their own, a few milliseconds after each SMS
        await sender.settled()
        if sender.inbound_applied >= expected:
            return
        await asyncio.sleep(0.05)


def _run_ids(engine: Engine, campaign_ids: list[int]) -> list[int]:
    with transaction(engine) as session:
        return list(session.scalars(select(CampaignRun.id).where(CampaignRun.campaign_id.in_(campaign_ids))))


def _cancel_queued(engine: Engine, run_ids: list[int], *, keep: list[int]) -> int:
    """The runs' queued messages but ``keep``, cancelled with the reason written on them."""
    members = CampaignMember.__table__
    with transaction(engine) as session:
        cancelled = session.execute(
            update(Message)
            .where(
                Message.status == "queued",
                Message.id.in_(select(members.c.message_id).where(members.c.run_id.in_(run_ids))),
                Message.id.not_in(keep),
            )
            .values(status="cancelled", finished_at=clock.now(), last_error=NOT_SAMPLED)
            .execution_options(synchronize_session=False)
        )
        return int(cancelled.rowcount or 0)


def results(settings: Settings, engine: Engine, month: MonthResult) -> dict[str, CampaignResults]:
    with transaction(engine) as session:
        return {
            code: campaign_results(session, campaign_id=campaign_id, lake=Lake(settings.lake_path))
            for code, campaign_id in month.campaigns.items()
        }


def describe(month: MonthResult, found: dict[str, CampaignResults]) -> None:
    for outcome in found.values():
        measured = outcome.measurement
        lift = measured.response
        interval = lift.absolute_interval
        say(
            f"  {outcome.campaign_name}: {measured.treatment.n:,} treated, {measured.control.n:,} control; "
            f"response {lift.treatment_mean:.1%} vs {lift.control_mean:.1%}, lift "
            f"{lift.absolute * 100:+.2f} points "
            f"(95 % CI {interval.low * 100:+.2f} … {interval.high * 100:+.2f})"
            f"{', preliminary' if outcome.preliminary else ''}  /campaigns/{outcome.campaign_id}/results"
        )
    say(
        f"  every treated player's message was queued; {month.sampled:,} (up to {SAMPLE_PER_CHANNEL} per "
        f"campaign and channel) went through the local gateways, the other {month.cancelled:,} were "
        "cancelled: the demo has no time to send them all, and results count who was chosen"
    )
    if month.unmeasured:
        say(
            "  approved accepting the power check's warning (it judges by the segment's recent purchases, "
            f"which lapsed players lack and a small segment has few of): {', '.join(month.unmeasured)}"
        )
