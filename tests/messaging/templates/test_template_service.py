"""The service on a real database (SQLite, and PostgreSQL when LOTTOCRM_TEST_DATABASE_URL is set):
templates and versions, immutability, class fixed, audit rows, preview with SMS parts and cost."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.messaging.templates import service
from lottocrm.messaging.templates.errors import (
    MessageClassFixed,
    RenderFailed,
    TemplateCodeTaken,
    TemplateInvalid,
    TemplateNotFound,
    VersionFrozen,
    VersionNotPublished,
)
from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion
from lottocrm.messaging.templates.render import Bodies
from lottocrm.settings import SettingsError

WIN_SMS = Bodies(sms_text="{{ first_name|first_name('друг') }}, ваш билет выиграл!")


def _template(
    engine: Engine, actor: Actor, *, code: str = "win_notice", message_class: str = "service"
) -> int:
    with transaction(engine) as session:
        return service.create_template(
            session, actor=actor, code=code, name="Выигрыш", message_class=message_class
        ).id


def _draft(engine: Engine, actor: Actor, template_id: int, bodies: Bodies = WIN_SMS) -> int:
    with transaction(engine) as session:
        return service.save_draft(session, actor=actor, template_id=template_id, bodies=bodies).version.id


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_template_is_created_drafted_published_and_audited(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    version_id = _draft(engine, marketer, template_id)
    with transaction(engine) as session:
        published = service.publish_version(session, actor=marketer, version_id=version_id)
        assert (published.number, published.status, published.published_by) == (1, "published", marketer.name)
    assert _actions(engine) == [
        "message_template.create",
        "message_template.save_draft",
        "message_template.publish",
    ]
    with Session(engine) as session:
        detail = session.scalars(select(AuditEvent.detail).order_by(AuditEvent.id.desc())).first()
        assert detail == {
            "template_id": template_id,
            "code": "win_notice",
            "version": 1,
            "version_id": version_id,
        }
        assert service.find_template(session, code="win_notice").message_class == "service"
        assert [t.code for t in service.list_templates(session)] == ["win_notice"]


def test_publishing_archives_the_version_before(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    first = _draft(engine, marketer, template_id)
    second = _draft(engine, marketer, template_id, Bodies(sms_text="Ваш билет выиграл"))
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=first)
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=second)
    with Session(engine) as session:
        versions = service.list_versions(session, template_id=template_id)
        assert [(v.number, v.status) for v in versions] == [(2, "published"), (1, "archived")]
        assert service.published_version(session, template_id=template_id).id == second  # type: ignore[union-attr]
        # Messages queued from version 1 still render from it.
        assert service.renderer_for(session, version_id=first).render({"first_name": "иван"}).sms_text == (
            "Иван, ваш билет выиграл!"
        )


def test_the_database_allows_one_published_version_per_template(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    first, second = _draft(engine, marketer, template_id), _draft(engine, marketer, template_id)
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=first)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.get(MessageTemplateVersion, second).status = "published"  # type: ignore[union-attr]


def test_a_published_version_cannot_be_edited(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    version_id = _draft(engine, marketer, template_id)
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=version_id)
    with (
        pytest.raises(VersionFrozen, match="version 1 of 'win_notice' is published"),
        transaction(engine) as s,
    ):
        service.save_draft(
            s, actor=marketer, template_id=template_id, bodies=Bodies(sms_text="Новое"), version_id=version_id
        )
    with pytest.raises(VersionFrozen), transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=version_id)
    # Nor by any path around the service: the model refuses the change at flush.
    with pytest.raises(ValueError, match="can no longer change"), transaction(engine) as session:
        session.get(MessageTemplateVersion, version_id).sms_text = "Подмена"  # type: ignore[union-attr]
    with Session(engine) as session:
        assert session.get(MessageTemplateVersion, version_id).sms_text == WIN_SMS.sms_text  # type: ignore[union-attr]


def test_a_draft_can_be_edited_until_it_is_published(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    version_id = _draft(engine, marketer, template_id)
    with transaction(engine) as session:
        saved = service.save_draft(
            session,
            actor=marketer,
            template_id=template_id,
            bodies=Bodies(sms_text="Правка"),
            version_id=version_id,
        )
        assert (saved.version.id, saved.version.number, saved.version.sms_text) == (version_id, 1, "Правка")


def test_the_class_cannot_change(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer, message_class="marketing")
    with (
        pytest.raises(MessageClassFixed, match="'win_notice' is marketing and stays so"),
        transaction(engine) as s,
    ):
        service.update_template(
            s, actor=marketer, template_id=template_id, name="Выигрыш", message_class="service"
        )
    with transaction(engine) as session:
        renamed = service.update_template(
            session, actor=marketer, template_id=template_id, name="  Новое   имя ", message_class="marketing"
        )
        assert renamed.name == "Новое имя"
    assert _actions(engine)[-1] == "message_template.update"
    with pytest.raises(ValueError, match="class is fixed"), transaction(engine) as session:
        session.get(MessageTemplate, template_id).message_class = "service"  # type: ignore[union-attr]
    with Session(engine) as session:
        assert session.get(MessageTemplate, template_id).message_class == "marketing"  # type: ignore[union-attr]


def test_bad_template_input_is_refused_clearly(engine: Engine, marketer: Actor) -> None:
    _template(engine, marketer)
    with (
        pytest.raises(TemplateCodeTaken, match="'win_notice' already exists"),
        transaction(engine) as session,
    ):
        service.create_template(session, actor=marketer, code="WIN_NOTICE", name="x", message_class="service")
    with (
        pytest.raises(service.TemplateInputError, match="template code 'плохо'"),
        transaction(engine) as session,
    ):
        service.create_template(session, actor=marketer, code="плохо", name="x", message_class="service")
    with (
        pytest.raises(service.TemplateInputError, match="message class 'advert'"),
        transaction(engine) as session,
    ):
        service.create_template(session, actor=marketer, code="promo", name="x", message_class="advert")
    with pytest.raises(service.TemplateInputError, match="template name"), transaction(engine) as session:
        service.create_template(session, actor=marketer, code="promo", name="  ", message_class="service")
    with pytest.raises(TemplateNotFound), Session(engine) as session:
        service.find_template(session, code="nope")


def test_an_invalid_draft_is_refused_and_nothing_is_saved(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer, message_class="marketing")
    bad = Bodies(sms_text="Привет {{ frist_name }}", email_subject="Акция", email_text="Без ссылки")
    with pytest.raises(TemplateInvalid) as caught, transaction(engine) as session:
        service.save_draft(session, actor=marketer, template_id=template_id, bodies=bad)
    assert {(p.body, p.code) for p in caught.value.problems} == {
        ("sms_text", "undefined"),
        ("email_text", "unsubscribe_missing"),
    }
    with Session(engine) as session:
        assert service.list_versions(session, template_id=template_id) == []


def test_a_draft_with_emoji_is_saved_with_a_warning(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    with transaction(engine) as session:
        saved = service.save_draft(
            session, actor=marketer, template_id=template_id, bodies=Bodies(sms_text="Ура 🎉")
        )
        assert [w.code for w in saved.warnings] == ["emoji"]


def test_publishing_checks_the_version_again(
    engine: Engine, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Saved under the default limit of 10 parts (3 parts); the operator then lowers the limit to 2.
    version_id = _draft(engine, marketer, _template(engine, marketer), Bodies(sms_text="Я" * 200))
    monkeypatch.setenv("LOTTOCRM_SMS_MAX_PARTS", "2")
    with pytest.raises(TemplateInvalid, match="3 parts"), transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=version_id)
    with Session(engine) as session:
        assert session.get(MessageTemplateVersion, version_id).status == "draft"  # type: ignore[union-attr]


def test_a_retired_version_still_renders_the_messages_queued_from_it(engine: Engine, marketer: Actor) -> None:
    template_id = _template(engine, marketer)
    version_id = _draft(engine, marketer, template_id)
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=version_id)
    with transaction(engine) as session:
        service.archive_version(session, actor=marketer, version_id=version_id)
    with Session(engine) as session:
        assert service.published_version(session, template_id=template_id) is None
        assert service.renderer_for(session, version_id=version_id).render({"first_name": "оля"}).sms_text
    with pytest.raises(VersionFrozen, match="already archived"), transaction(engine) as session:
        service.archive_version(session, actor=marketer, version_id=version_id)


def test_messages_render_only_from_a_published_version(engine: Engine, marketer: Actor) -> None:
    version_id = _draft(engine, marketer, _template(engine, marketer))
    with pytest.raises(VersionNotPublished), Session(engine) as session:
        service.renderer_for(session, version_id=version_id)
    with transaction(engine) as session:
        service.archive_version(session, actor=marketer, version_id=version_id)
    with pytest.raises(VersionNotPublished), Session(engine) as session:
        service.renderer_for(session, version_id=version_id)
    assert _actions(engine)[-1] == "message_template.archive"


# ---- preview --------------------------------------------------------------------------------------------
def _preview_version(engine: Engine, actor: Actor, sms_text: str) -> int:
    return _draft(engine, actor, _template(engine, actor, code="preview"), Bodies(sms_text=sms_text))


def test_preview_shows_parts_encoding_and_cost(engine: Engine, marketer: Actor) -> None:
    # "{{ first_name }}" + 64 Cyrillic letters: a 6-letter name makes 70 characters (1 SMS), 7 make 71 (2).
    version_id = _preview_version(engine, marketer, "{{ first_name }}" + "ж" * 64)
    with Session(engine) as session:
        short, long_ = service.preview(
            session, version_id=version_id, players=[{"first_name": "Ярослав"[:6]}, {"first_name": "Ярослав"}]
        )
    assert short.sms is not None and long_.sms is not None
    assert (short.sms.encoding, short.sms.units, short.sms.parts, short.sms.chars_left) == ("ucs2", 70, 1, 0)
    assert (short.sms.cost_kopecks, short.sms.cost) == (250, "2,50\u00a0₽")
    assert (long_.sms.units, long_.sms.parts, long_.sms.per_part) == (71, 2, 67)
    assert (long_.sms.cost_kopecks, long_.sms.cost) == (500, "5\u00a0₽")
    assert long_.message is not None and long_.message.sms_text == "Ярослав" + "ж" * 64
    assert not long_.sms.too_long


def test_the_price_of_a_part_is_a_setting(
    engine: Engine, marketer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_id = _preview_version(engine, marketer, "Привет")
    monkeypatch.setenv("LOTTOCRM_SMS_PRICE_KOPECKS", "315")
    with Session(engine) as session:
        [shown] = service.preview(session, version_id=version_id, players=[{}])
    assert shown.sms is not None and shown.sms.cost == "3,15\u00a0₽"
    monkeypatch.setenv("LOTTOCRM_SMS_PRICE_KOPECKS", "2.5 ₽")
    with (
        pytest.raises(SettingsError, match="LOTTOCRM_SMS_PRICE_KOPECKS must be a whole number"),
        Session(engine) as s,
    ):
        service.preview(s, version_id=version_id, players=[{}])


def test_preview_reports_a_player_it_cannot_render_and_goes_on(engine: Engine, marketer: Actor) -> None:
    version_id = _preview_version(engine, marketer, "{{ first_name }}, {{ loyalty_balance|points }}")
    with Session(engine) as session:
        broken, fine = service.preview(
            session,
            version_id=version_id,
            players=[{"first_name": "Оля"}, {"first_name": "Оля", "loyalty_balance": 2}],
        )
    assert broken.message is None and broken.error is not None and broken.error.code == "undefined"
    assert fine.message is not None and fine.message.sms_text == "Оля, 2\u00a0балла"


def test_preview_marks_an_sms_a_player_would_make_too_long(engine: Engine, marketer: Actor) -> None:
    version_id = _preview_version(engine, marketer, "{{ region_name }}" + "ж" * 600)
    with Session(engine) as session:
        [shown] = service.preview(session, version_id=version_id, players=[{"region_name": "Я" * 100}])
    assert shown.sms is not None and shown.sms.parts == 11 and shown.sms.too_long


def test_a_preview_is_for_a_few_players(engine: Engine, marketer: Actor) -> None:
    version_id = _preview_version(engine, marketer, "Привет")
    with (
        pytest.raises(service.TemplateInputError, match="at most 50 players, not 51"),
        Session(engine) as session,
    ):
        service.preview(session, version_id=version_id, players=[{}] * 51)


def test_render_errors_are_not_swallowed_when_sending(engine: Engine, marketer: Actor) -> None:
    version_id = _draft(engine, marketer, _template(engine, marketer), Bodies(sms_text="{{ first_name }}"))
    with transaction(engine) as session:
        service.publish_version(session, actor=marketer, version_id=version_id)
    with pytest.raises(RenderFailed, match="first_name"), Session(engine) as session:
        service.renderer_for(session, version_id=version_id).render({})
