"""Checks at save time: each bad input is refused with its body and line, emoji only warned about."""

from __future__ import annotations

import pytest

from lottocrm.messaging.templates.errors import Problem, TemplateInvalid
from lottocrm.messaging.templates.render import Bodies
from lottocrm.messaging.templates.settings import TemplateSettings
from lottocrm.messaging.templates.validation import check_version, validated

SETTINGS = TemplateSettings()
EMAIL = {"email_subject": "Новости", "email_text": "Текст. Отписаться: {{ unsubscribe_url }}"}


def errors_of(bodies: Bodies, message_class: str = "service") -> list[Problem]:
    return check_version(bodies, message_class=message_class, settings=SETTINGS).errors


def only_error(bodies: Bodies, message_class: str = "service") -> Problem:
    errors = errors_of(bodies, message_class)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_good_version_passes_without_findings() -> None:
    bodies = Bodies(
        sms_text="{{ first_name|first_name('друг') }}, у вас {{ loyalty_balance|points }}",
        push_title="{{ next_game }}",
        push_body="Тираж {{ next_game_draw_date|date }}",
        **EMAIL,
    )
    assert validated(bodies, message_class="marketing", settings=SETTINGS) == []


def test_a_syntax_error_names_the_body_and_line() -> None:
    problem = only_error(Bodies(sms_text="Привет\n{% if first_name %}\nнет конца"))
    assert (problem.body, problem.code, problem.line) == ("sms_text", "syntax", 3)
    assert "endif" in problem.message


def test_an_unknown_filter_is_a_syntax_error_on_its_line() -> None:
    problem = only_error(Bodies(push_title="x", push_body="строка\n{{ first_name|format('x') }}"))
    assert (problem.body, problem.code, problem.line) == ("push_body", "syntax", 2)
    assert "format" in problem.message


def test_an_undefined_variable_is_found_even_in_a_branch_not_taken() -> None:
    problem = only_error(Bodies(sms_text="Привет\n{% if false %}\n{{ frist_name }}\n{% endif %}"))
    assert (problem.body, problem.code, problem.line) == ("sms_text", "undefined", 3)
    assert "frist_name" in problem.message


def test_names_a_template_declares_itself_are_not_undefined() -> None:
    source = "{% set greeting = 'Привет' %}{% for n in range(2) %}{{ greeting }}{{ n }}{% endfor %}"
    assert errors_of(Bodies(sms_text=source)) == []


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("ok\n{{ ''.__class__ }}", "__class__"),
        ("ok\n{{ cycler.__init__.__globals__ }}", "__init__"),
        ("ok\n{{ self._TemplateReference__context }}", "_TemplateReference__context"),
        ("ok\n{{ first_name['__class__'] }}", "__class__"),
    ],
)
def test_an_escape_attempt_is_refused_on_its_line(source: str, name: str) -> None:
    problems = [p for p in errors_of(Bodies(sms_text=source)) if p.code == "sandbox"]
    assert problems and {p.line for p in problems} == {2}
    assert any(name in p.message for p in problems)


def test_a_method_call_is_refused_with_a_pointer_to_filters() -> None:
    problem = only_error(Bodies(sms_text="{{ first_name.upper() }}"))
    assert problem.code == "sandbox" and "use a filter" in problem.message


def test_an_endless_loop_is_refused_at_save_time() -> None:
    problem = only_error(
        Bodies(sms_text="{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    )
    assert problem.code == "limit"


def test_an_sms_over_the_parts_limit_is_refused_with_the_count() -> None:
    # 11 parts of 67 Cyrillic characters and one more: 12 parts in UCS-2.
    problem = only_error(Bodies(sms_text="Я" * (67 * 11 + 1)))
    assert (problem.body, problem.code) == ("sms_text", "sms_too_long")
    assert problem.params["parts"] == 12 and problem.params["limit"] == 10
    assert "12 parts" in problem.message and "UCS2" in problem.message


def test_the_parts_limit_is_a_setting() -> None:
    bodies = Bodies(sms_text="Я" * 200)  # 3 parts
    assert errors_of(bodies) == []
    strict = check_version(bodies, message_class="service", settings=TemplateSettings(sms_max_parts=2))
    assert [p.code for p in strict.errors] == ["sms_too_long"]


def test_emoji_in_an_sms_is_a_warning_with_the_extra_parts() -> None:
    # 150 Latin characters fit one GSM-7 SMS; one emoji makes the text UCS-2: 152 units, 3 parts of 67.
    findings = check_version(
        Bodies(sms_text="Hello\n" + "x" * 144 + "🎉"), message_class="service", settings=SETTINGS
    )
    assert findings.errors == []
    [warning] = findings.warnings
    assert (warning.body, warning.code, warning.line) == ("sms_text", "emoji", 2)
    assert warning.params == {"emoji": "🎉", "parts": 3, "without": 1}
    assert (
        validated(Bodies(sms_text="Привет 🎉"), message_class="service", settings=SETTINGS)[0].code == "emoji"
    )


def test_a_marketing_email_without_an_unsubscribe_link_is_refused() -> None:
    bodies = Bodies(
        email_subject="Акция", email_text="Купите билет", email_html="<p>Купите {{ unsubscribe_url }}</p>"
    )
    problem = only_error(bodies, "marketing")
    assert (problem.body, problem.code) == ("email_text", "unsubscribe_missing")
    assert "RFC 8058" in problem.message
    with pytest.raises(TemplateInvalid) as caught:
        validated(bodies, message_class="marketing", settings=SETTINGS)
    assert "email_text" in str(caught.value)


def test_an_unsubscribe_link_hidden_in_a_branch_never_taken_does_not_count() -> None:
    bodies = Bodies(email_subject="Акция", email_text="Купите{% if false %}{{ unsubscribe_url }}{% endif %}")
    assert only_error(bodies, "marketing").code == "unsubscribe_missing"


def test_a_service_email_needs_no_unsubscribe_link() -> None:
    assert errors_of(Bodies(email_subject="Ваш выигрыш", email_text="Поздравляем!"), "service") == []


def test_a_channel_must_be_whole_and_a_version_must_have_one() -> None:
    assert only_error(Bodies()).code == "body_missing"
    missing = errors_of(Bodies(email_html="<p>{{ unsubscribe_url }}</p>", push_body="Тираж сегодня"))
    assert {(p.body, p.code) for p in missing} == {
        ("email_subject", "body_missing"),
        ("email_text", "body_missing"),
        ("push_title", "body_missing"),
    }


def test_every_body_is_checked_and_every_problem_reported() -> None:
    bodies = Bodies(
        sms_text="{{ x }}", email_subject="{% if %}", email_text="{{ y }}", push_title="t", push_body="b"
    )
    assert {p.body for p in errors_of(bodies)} == {"sms_text", "email_subject", "email_text"}
