"""The lottery journeys lottocrm ships: documents a marketer installs as drafts, with the Russian message
templates they send (created and published on install when the operator has none of that code yet).

A shipped journey is a starting point, not a black box: it installs as an ordinary draft journey (its
version 1), which the marketer reads, edits and an approver puts live like any other. Installing one whose
name is taken is refused (a second copy would double every message).

Shipped: the welcome chain's two halves (registration → first purchase, first → second purchase), "your
ticket won" for every winning ticket (a service message), big-win congratulations with responsible-gaming
care and a call from the VIP desk, birthday points, churn prevention on a crossing into high risk, and the
loyalty tier upgrade. Not shipped yet (their triggers are not run, issue #15): jackpot rollover by the
player's own jackpot level, lapsed-player reactivation by churn depth (segment entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.errors import NotFound
from lottocrm.marketing.journeys import service
from lottocrm.marketing.journeys.models import JourneyVersion
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.errors import TemplateNotFound
from lottocrm.messaging.templates.render import Bodies

DAY = 24 * 60
STOP = "Отписка: СТОП"
UNSUBSCRIBE = "\n\nНе хотите получать наши письма? Отпишитесь: {{ unsubscribe_url }}"
# Big-win messages say where help is, not what to play next.
CARE = (
    "Помните: лотерея — это развлечение. Если игра перестаёт приносить радость, установите лимит или "
    "сделайте перерыв в личном кабинете; бесплатная линия помощи — 8 800 200-02-00."
)


class ShippedJourneyNotFound(NotFound):
    code = "shipped_journey_not_found"


@dataclass(frozen=True)
class ShippedMessage:
    code: str
    name: str
    message_class: str
    bodies: Bodies


@dataclass(frozen=True)
class ShippedJourney:
    code: str
    name: str
    description: str
    messages: tuple[ShippedMessage, ...]
    # The document, given the template id of each message code.
    document: Callable[[dict[str, int]], dict[str, Any]]

    @property
    def trigger(self) -> str:
        """What starts it (read from the document, with a stand-in id for each template)."""
        stand_ins = {message.code: 1 for message in self.messages}
        return str(self.document(stand_ins)["entry"]["trigger"])


def _send(template: int, channels: list[str], next_step: str) -> dict[str, Any]:
    return {"kind": "send", "template_id": template, "channels": channels, "next": next_step}


def _wait_for_purchase(days: int, bought: str, timeout: str) -> dict[str, Any]:
    return {
        "kind": "wait",
        "for_trigger": "ticket_purchase",
        "timeout_minutes": days * DAY,
        "next": bought,
        "on_timeout": timeout,
    }


WELCOME = ShippedJourney(
    "welcome_first_purchase",
    "Приветствие: первая покупка",
    "Новому игроку, не купившему билет за три дня, — напоминание с промокодом в 10:00 по его времени; "
    "цель — первая покупка в течение 30 дней.",
    (
        ShippedMessage(
            "journey_welcome_nudge",
            "Сценарий: первый билет",
            "marketing",
            Bodies(
                sms_text="{{ first_name }}, ваш первый билет ждёт! Промокод {{ promo_code }}. " + STOP,
                email_subject="{{ first_name }}, ваш первый билет ждёт",
                email_text="{{ first_name }}, здравствуйте!\n\nВы зарегистрировались, но ещё не сыграли. "
                "Промокод на первый билет: {{ promo_code }}." + UNSUBSCRIBE,
                push_title="Первый билет ждёт",
                push_body="{{ first_name }}, промокод на первый билет: {{ promo_code }}",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "registered"},
        "start": "first_purchase",
        "goal": "ticket_purchase",
        "goal_window_days": 30,
        "control_share": 0.1,
        "steps": {
            "first_purchase": _wait_for_purchase(3, "done", "morning"),
            "morning": {"kind": "wait", "until_local_time": "10:00", "next": "code"},
            "code": {"kind": "offer", "promo_code": True, "value_kopecks": 10_000, "next": "nudge"},
            "nudge": _send(ids["journey_welcome_nudge"], ["push", "email", "sms"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

SECOND_PURCHASE = ShippedJourney(
    "welcome_second_purchase",
    "Приветствие: вторая покупка",
    "После первой покупки на сайте или в приложении: если за неделю не было второй — напоминание; "
    "цель — вторая покупка в течение 30 дней. Один раз на игрока.",
    (
        ShippedMessage(
            "journey_second_purchase",
            "Сценарий: второй билет",
            "marketing",
            Bodies(
                sms_text="{{ first_name }}, спасибо за первый билет! Следующий тираж уже скоро. " + STOP,
                email_subject="{{ first_name }}, спасибо за первый билет",
                email_text="{{ first_name }}, здравствуйте!\n\nСпасибо, что сыграли с нами. Следующий тираж "
                "уже скоро — билеты на сайте и в приложении." + UNSUBSCRIBE,
                push_title="Следующий тираж скоро",
                push_body="{{ first_name }}, спасибо за первый билет! Следующий тираж уже скоро.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "ticket_purchase"},
        "start": "second_purchase",
        "goal": "ticket_purchase",
        "goal_window_days": 30,
        "control_share": 0.1,
        "re_entry": {"mode": "never"},
        "steps": {
            "second_purchase": _wait_for_purchase(7, "done", "nudge"),
            "nudge": _send(ids["journey_second_purchase"], ["push", "email", "sms"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

TICKET_WON = ShippedJourney(
    "ticket_won",
    "Ваш билет выиграл",
    "Сервисное сообщение о каждом выигравшем билете (по билету, без контрольной группы).",
    (
        ShippedMessage(
            "journey_ticket_won",
            "Сценарий: билет выиграл",
            "service",
            Bodies(
                sms_text="{{ first_name }}, ваш билет выиграл! Выигрыш — в личном кабинете.",
                email_subject="{{ first_name }}, ваш билет выиграл",
                email_text="{{ first_name }}, здравствуйте!\n\nВаш билет выиграл. Сумма выигрыша и способ "
                "получения — в личном кабинете на сайте и в приложении.",
                push_title="Ваш билет выиграл",
                push_body="{{ first_name }}, сумма и способ получения — в личном кабинете.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "ticket_won", "key": "ticket"},
        "start": "tell",
        "message_class": "service",
        "control_share": 0,
        "steps": {
            "tell": _send(ids["journey_ticket_won"], ["push", "sms", "email"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

BIG_WIN = ShippedJourney(
    "big_win",
    "Крупный выигрыш",
    "Поздравление с выигрышем от 100 000 ₽ с напоминанием об ответственной игре и звонок VIP-менеджера "
    "(порядок получения выигрыша). Без рекламы и без контрольной группы.",
    (
        ShippedMessage(
            "journey_big_win",
            "Сценарий: крупный выигрыш",
            "service",
            Bodies(
                sms_text="{{ first_name }}, поздравляем с крупным выигрышем! Мы позвоним и расскажем, как "
                "его получить.",
                email_subject="{{ first_name }}, поздравляем с крупным выигрышем",
                email_text="{{ first_name }}, здравствуйте!\n\nПоздравляем с крупным выигрышем! Наш менеджер "
                "позвонит вам и расскажет, как его получить.\n\n" + CARE,
                push_title="Поздравляем с крупным выигрышем",
                push_body="{{ first_name }}, менеджер позвонит и расскажет, как получить выигрыш.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "big_win", "key": "ticket", "min_prize_kopecks": 10_000_000},
        "start": "congratulate",
        "message_class": "service",
        "control_share": 0,
        "steps": {
            "congratulate": _send(ids["journey_big_win"], ["email", "push", "sms"], "call"),
            "call": {
                "kind": "call_task",
                "note": "Поздравить с крупным выигрышем, объяснить порядок получения и налог; напомнить о "
                "лимитах и перерыве в игре. Ничего не предлагать.",
                "next": "done",
            },
            "done": {"kind": "exit"},
        },
    },
)

BIRTHDAY = ShippedJourney(
    "birthday",
    "День рождения",
    "В день рождения — 200 бонусных баллов и поздравление в 10:00 по времени игрока. Раз в год.",
    (
        ShippedMessage(
            "journey_birthday",
            "Сценарий: день рождения",
            "marketing",
            Bodies(
                sms_text="{{ first_name }}, с днём рождения! Дарим 200 баллов. " + STOP,
                email_subject="{{ first_name }}, с днём рождения!",
                email_text="{{ first_name }}, с днём рождения!\n\nВ подарок — 200 бонусных баллов на вашей "
                "карте." + UNSUBSCRIBE,
                push_title="С днём рождения!",
                push_body="{{ first_name }}, дарим 200 бонусных баллов.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "birthday"},
        "start": "morning",
        "goal": "ticket_purchase",
        "goal_window_days": 14,
        "control_share": 0.1,
        "re_entry": {"mode": "after_cooldown", "cooldown_days": 300},
        "steps": {
            "morning": {"kind": "wait", "until_local_time": "10:00", "next": "gift"},
            "gift": {"kind": "offer", "bonus_points": 200, "value_kopecks": 2_000, "next": "greet"},
            "greet": _send(ids["journey_birthday"], ["push", "email", "sms"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

CHURN = ShippedJourney(
    "churn_prevention",
    "Удержание: высокий риск ухода",
    "Игроку, чей риск ухода стал высоким, — промокод и письмо; если за 7 дней нет покупки — пуш или SMS. "
    "Не чаще раза в 90 дней.",
    (
        ShippedMessage(
            "journey_churn_first",
            "Сценарий: мы скучаем",
            "marketing",
            Bodies(
                sms_text="{{ first_name }}, давно вас не видели! Промокод {{ promo_code }}. " + STOP,
                email_subject="{{ first_name }}, давно вас не видели",
                email_text="{{ first_name }}, здравствуйте!\n\nМы скучаем. Ваш промокод: {{ promo_code }}."
                + UNSUBSCRIBE,
                push_title="Давно вас не видели",
                push_body="{{ first_name }}, ваш промокод: {{ promo_code }}",
            ),
        ),
        ShippedMessage(
            "journey_churn_reminder",
            "Сценарий: промокод ещё действует",
            "marketing",
            Bodies(
                sms_text="{{ first_name }}, промокод {{ promo_code }} ещё действует. " + STOP,
                push_title="Промокод ещё действует",
                push_body="{{ first_name }}, промокод {{ promo_code }} ещё действует.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "churn_risk_entered"},
        "start": "code",
        "goal": "ticket_purchase",
        "goal_window_days": 30,
        "control_share": 0.1,
        "re_entry": {"mode": "after_cooldown", "cooldown_days": 90},
        "steps": {
            "code": {"kind": "offer", "promo_code": True, "value_kopecks": 15_000, "next": "letter"},
            "letter": _send(ids["journey_churn_first"], ["email", "push", "sms"], "week"),
            "week": _wait_for_purchase(7, "done", "reminder"),
            "reminder": _send(ids["journey_churn_reminder"], ["push", "sms"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

TIER_UP = ShippedJourney(
    "tier_upgrade",
    "Новый уровень программы лояльности",
    "Сообщение о переходе на более высокий уровень программы лояльности (сервисное).",
    (
        ShippedMessage(
            "journey_tier_up",
            "Сценарий: новый уровень",
            "service",
            Bodies(
                sms_text="{{ first_name }}, ваш уровень в программе лояльности повышен!",
                email_subject="{{ first_name }}, ваш уровень повышен",
                email_text="{{ first_name }}, здравствуйте!\n\nВаш уровень в программе лояльности повышен: "
                "теперь баллов за покупки начисляется больше. Подробности — в личном кабинете.",
                push_title="Ваш уровень повышен",
                push_body="{{ first_name }}, теперь баллов за покупки начисляется больше.",
            ),
        ),
    ),
    lambda ids: {
        "entry": {"trigger": "tier_upgraded"},
        "start": "tell",
        "message_class": "service",
        "control_share": 0,
        "re_entry": {"mode": "after_cooldown", "cooldown_days": 1},
        "steps": {
            "tell": _send(ids["journey_tier_up"], ["push", "email", "sms"], "done"),
            "done": {"kind": "exit"},
        },
    },
)

LIBRARY: dict[str, ShippedJourney] = {
    shipped.code: shipped
    for shipped in (WELCOME, SECOND_PURCHASE, TICKET_WON, BIG_WIN, BIRTHDAY, CHURN, TIER_UP)
}


def install(session: Session, *, actor: Actor, code: str) -> JourneyVersion:
    """The shipped journey ``code`` as a new draft journey (version 1), with its templates."""
    shipped = LIBRARY.get(code)
    if shipped is None:
        raise ShippedJourneyNotFound("no shipped journey %(code)s", code=code)
    ids = {message.code: _published_template(session, actor, message) for message in shipped.messages}
    return service.create_journey(
        session,
        actor=actor,
        name=shipped.name,
        description=shipped.description,
        definition=shipped.document(ids),
        note=f"Готовый сценарий lottocrm «{shipped.name}»",
    )


def _published_template(session: Session, actor: Actor, message: ShippedMessage) -> int:
    """The operator's template of that code (theirs as they left it, if they have one), else the shipped
    text created and published."""
    try:
        template = templates.find_template(session, code=message.code)
    except TemplateNotFound:
        template = templates.create_template(
            session, actor=actor, code=message.code, name=message.name, message_class=message.message_class
        )
    if templates.published_version(session, template_id=template.id) is None:
        draft = templates.save_draft(session, actor=actor, template_id=template.id, bodies=message.bodies)
        templates.publish_version(session, actor=actor, version_id=draft.version.id)
    return template.id
