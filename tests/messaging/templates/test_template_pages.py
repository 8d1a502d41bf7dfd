"""The template pages as the roles see them: who may open and change them, each bad text shown beside
its field in Russian with nothing saved, publish with its confirmation and audit row, the preview's SMS
meter, the history paged and an old version read-only."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion
from lottocrm.messaging.templates.render import Bodies

MARKETER = Actor("user:marketer")
SMS = "{{ first_name }}, в субботу тираж. Ваши баллы: {{ loyalty_balance|points }}."


def _template(engine: Engine, *, code: str = "welcome", sms: str | None = SMS, publish: bool = False) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=MARKETER, code=code, name="Приветствие", message_class="service"
        )
        if sms is not None:
            saved = templates.save_draft(
                session, actor=MARKETER, template_id=template.id, bodies=Bodies(sms_text=sms)
            )
            if publish:
                templates.publish_version(session, actor=MARKETER, version_id=saved.version.id)
        return template.id


def _post(client: TestClient, path: str, **fields: str) -> object:
    token = csrf_of(client, "/templates")
    return client.post(f"{path}?lang=ru", data={"csrf_token": token, **fields})


def _versions(engine: Engine) -> list[tuple[int, str, str | None]]:
    with transaction(engine) as session:
        return [
            (v.number, v.status, v.sms_text)
            for v in session.scalars(select(MessageTemplateVersion).order_by(MessageTemplateVersion.number))
        ]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# ---- who sees what ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["marketer", "supervisor", "admin"])
def test_the_roles_that_plan_messages_read_the_pages_in_russian(
    role: str, client_for, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    _template(engine, publish=True)
    client = client_for(role)
    listed = client.get("/templates?lang=ru")
    assert listed.status_code == 200
    page = _text(listed.text)
    assert "Шаблоны сообщений" in page and "Приветствие" in page and "сервисное" in page
    editor = client.get("/templates/welcome?lang=ru")
    assert editor.status_code == 200 and "Текст SMS" in editor.text
    assert client.get("/templates/welcome/versions/1?lang=ru").status_code == 200
    can_edit = role != "supervisor"
    assert ("Сохранить черновик" in editor.text) is can_edit
    assert (client.get("/templates/new").status_code == 200) is can_edit


@pytest.mark.parametrize("role", ["operator", "analyst"])
def test_other_roles_are_refused(role: str, client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    client = client_for(role)
    for path in ("/templates", "/templates/new", "/templates/welcome", "/templates/welcome/versions/1"):
        assert client.get(path).status_code == 403, path


def test_a_supervisor_cannot_change_a_template(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    supervisor = client_for("supervisor")
    token = csrf_of(supervisor, "/templates")
    for path in (
        "/templates",
        "/templates/welcome/draft",
        "/templates/welcome/publish",
        "/templates/welcome/test-send",
    ):
        assert supervisor.post(path, data={"csrf_token": token, "sms_text": "x"}).status_code == 403, path
    assert _versions(engine) == [(1, "draft", SMS)]


def test_the_list_is_searched_and_paged(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        for n in range(30):
            templates.create_template(
                session, actor=MARKETER, code=f"promo-{n:02d}", name=f"Акция {n}", message_class="marketing"
            )
        templates.create_template(
            session, actor=MARKETER, code="win", name="Выигрыш", message_class="service"
        )
    marketer = client_for("marketer")
    first = marketer.get("/templates?lang=ru").text
    assert "promo-00" in first and "promo-24" in first and "promo-25" not in first and "win" not in first
    second = marketer.get("/templates?page=2&lang=ru").text
    assert "promo-25" in second and "win" in second
    found = marketer.get("/templates?q=выигр&lang=ru").text
    assert "Выигрыш" in found and "promo-00" not in found
    assert "promo-07" in marketer.get("/templates?q=PROMO-07").text


# ---- create -----------------------------------------------------------------------------------------------
def test_a_marketer_creates_a_template_and_the_class_is_said_to_be_fixed(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    form = marketer.get("/templates/new?lang=ru").text
    assert "Класс выбирается один раз и навсегда" in form
    response = _post(
        marketer, "/templates", code="draw-reminder", name="Напоминание о тираже", message_class="marketing"
    )
    assert response.status_code == 303 and response.headers["location"] == "/templates/draw-reminder"
    taken = _post(marketer, "/templates", code="draw-reminder", name="Ещё одно", message_class="service")
    assert taken.status_code == 422 and "шаблон с кодом 'draw-reminder' уже есть" in _text(taken.text)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(MessageTemplate)) == 1


def test_a_bad_code_is_refused_in_russian(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    response = _post(client_for("marketer"), "/templates", code="Привет!", name="x", message_class="service")
    assert response.status_code == 400
    assert "латинские буквы" in _text(response.text)


# ---- bad text: shown beside its field, nothing saved -----------------------------------------------------
BAD_TEXT = {
    "syntax": ("sms_text", "Привет, {{ first_name }", "строка 1"),
    "undefined": ("sms_text", "Привет, {{ frist_name }}", "frist_name — не переменная шаблона"),
    "sandbox": ("sms_text", "{{ ''.__class__ }}", "доступ к __class__ запрещён"),
    "sms_too_long": ("sms_text", "{{ first_name }} " + "Ж" * 700, "частей: 11 (711 символов, UCS-2)"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_bad_text_is_shown_beside_its_field_and_nothing_is_saved(
    case: str, client_for, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    field, text, expected = BAD_TEXT[case]
    response = _post(client_for("marketer"), "/templates/welcome/draft", **{field: text})
    assert response.status_code == 422
    problems = re.search(rf'<ul class="field-problems" id="problems-{field}".*?</ul>', response.text, re.S)
    assert problems, response.text
    assert expected in _text(problems.group(0))
    assert "Не сохранено" in response.text
    assert _versions(engine) == [(1, "draft", SMS)]
    with transaction(engine) as session:
        saves = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "message_template.save_draft")
        )
        assert saves == 1


def test_jinja_sentences_read_russian(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    marketer = client_for("marketer")
    cases = {
        "{% if first_name %}Привет": "не закрыт",
        "{{ first_name|shout }}": "нет фильтра «shout»",
        "{% frobnicate %}": "неизвестный тег «frobnicate»",
    }
    for text, expected in cases.items():
        page = _text(_post(marketer, "/templates/welcome/draft", sms_text=text).text)
        assert expected in page, text
        assert "Jinja" not in page and "unexpected" not in page.lower(), text


def test_emoji_in_an_sms_are_saved_with_a_warning(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    marketer = client_for("marketer")
    response = _post(marketer, "/templates/welcome/draft", sms_text="Prize draw on Saturday! 🎉")
    assert response.status_code == 303
    page = _text(marketer.get("/templates/welcome?lang=ru").text)
    assert "эмодзи (🎉) переводят SMS в UCS-2" in page
    assert _versions(engine) == [(1, "draft", "Prize draw on Saturday! 🎉")]


# ---- preview ----------------------------------------------------------------------------------------------
def test_the_preview_shows_each_players_sms_with_its_parts_and_cost(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    marketer = client_for("marketer")
    response = _post(marketer, "/templates/welcome/preview", sms_text=SMS, players="1001, 1002")
    assert response.status_code == 200
    page = _text(response.text)
    assert "Пётр, в субботу тираж." in page
    assert "Алфавит: UCS-2" in page and "Частей: 1" in page and "Стоимость: 2,50" in page
    assert _versions(engine) == [(1, "draft", SMS)]  # a preview saves nothing


def test_a_preview_of_random_players_and_of_an_unknown_id(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    marketer = client_for("marketer")
    random = _post(marketer, "/templates/welcome/preview", sms_text="Draw on Saturday", random="1")
    assert random.status_code == 200 and random.text.count('class="preview-card"') == 3
    assert "Алфавит: GSM-7" in _text(random.text)
    unknown = _post(marketer, "/templates/welcome/preview", sms_text="Hi", players="1001, 999999")
    assert unknown.status_code == 400 and "нет игрока с id 999999" in _text(unknown.text)
    bad = _post(marketer, "/templates/welcome/preview", sms_text="Hi", players="1001; abc")
    assert bad.status_code == 400 and "'abc' — не id игрока" in _text(bad.text)


# ---- publish, archive, history ---------------------------------------------------------------------------
def test_publish_asks_for_a_confirmation_then_is_audited(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _template(engine)
    marketer = client_for("marketer")
    with transaction(engine) as session:
        draft_id = session.scalar(select(MessageTemplateVersion.id))
    asked = _post(marketer, "/templates/welcome/publish", version_id=str(draft_id))
    assert asked.status_code == 200 and "Подтвердите" in asked.text
    assert _versions(engine) == [(1, "draft", SMS)]
    done = _post(marketer, "/templates/welcome/publish", version_id=str(draft_id), confirm="yes")
    assert done.status_code == 303
    assert _versions(engine) == [(1, "published", SMS)]
    with transaction(engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "message_template.publish")
        ).one()
        assert event.actor == "user:marketer" and event.detail["version"] == 1
    page = _text(marketer.get("/templates/welcome?done=published&lang=ru").text)
    assert "Опубликовано" in page and "Версия 1 опубликована" in page


def test_the_history_is_paged_and_an_old_version_is_read_only(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    template_id = _template(engine, publish=True)
    with transaction(engine) as session:
        for n in range(2, 13):
            saved = templates.save_draft(
                session, actor=MARKETER, template_id=template_id, bodies=Bodies(sms_text=f"Текст номер {n}")
            )
            templates.publish_version(session, actor=MARKETER, version_id=saved.version.id)
    marketer = client_for("marketer")
    first = marketer.get("/templates/welcome?lang=ru").text
    assert "/versions/12" in first and '/versions/3"' in first and '/versions/2"' not in first
    older = marketer.get("/templates/welcome?versions=2&lang=ru").text
    assert '/versions/2"' in older and '/versions/1"' in older
    old = marketer.get("/templates/welcome/versions/1?lang=ru")
    assert old.status_code == 200 and "в субботу тираж" in old.text and "<textarea" not in old.text
    assert "в архиве" in _text(old.text)
    assert marketer.get("/templates/welcome/versions/99").status_code == 404
    assert marketer.get("/templates/nope").status_code == 404
