"""Rendering: the sandbox refuses every way out, each render is bounded in steps, time and size, and
the bodies behave per channel (HTML escaped, one-line subjects, None shown as nothing)."""

from __future__ import annotations

import datetime as dt

import pytest

from lottocrm import clock
from lottocrm.messaging.templates.errors import (
    RenderFailed,
    TemplateInvalid,
    UnknownVariables,
    VariableValueInvalid,
)
from lottocrm.messaging.templates.render import Bodies, RenderedMessage, compile_version
from lottocrm.messaging.templates.sandbox import DEFAULT_LIMITS, RenderLimits
from lottocrm.messaging.templates.variables import available_variables, sample_context

PLAYER = {
    "first_name": "ольга",
    "middle_name": None,
    "loyalty_balance": 21,
    "next_game": "Русское лото",
    "next_game_draw_date": dt.date(2026, 12, 5),
}


def sms(source: str, limits: RenderLimits = DEFAULT_LIMITS) -> str:
    rendered = compile_version(Bodies(sms_text=source), limits).render(PLAYER)
    assert rendered.sms_text is not None
    return rendered.sms_text


def refusal(source: str, limits: RenderLimits = DEFAULT_LIMITS, body: str = "sms_text") -> RenderFailed:
    with pytest.raises(RenderFailed) as caught:
        compile_version(Bodies(**{body: source}), limits).render(PLAYER)
    assert caught.value.problem.body == body
    return caught.value


def test_a_typical_sms_renders_with_our_filters() -> None:
    text = sms(
        "{{ first_name|first_name('друг') }}, у вас {{ loyalty_balance|points }}! "
        "{{ next_game }}: тираж {{ next_game_draw_date|date }}."
    )
    assert text == "Ольга, у вас 21\u00a0балл! Русское лото: тираж 5 декабря."


def test_none_shows_as_nothing_and_block_tags_leave_no_blank_lines() -> None:
    source = (
        "Здравствуйте, {{ first_name|first_name }}{{ middle_name }}!\n"
        "{% if loyalty_balance > 20 %}\nБонус\n{% endif %}\n"
    )
    assert sms(source) == "Здравствуйте, Ольга!\nБонус\n"


# ---- the sandbox ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("{{ ''.__class__ }}", "sandbox"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "sandbox"),
        ("{{ first_name.__class__ }}", "sandbox"),
        ("{{ cycler.__init__.__globals__ }}", "sandbox"),
        ("{{ self._TemplateReference__context }}", "sandbox"),
        ("{{ range.__globals__ }}", "sandbox"),
        ("{{ first_name['__class__'] }}", "sandbox"),
        ("{{ first_name.upper() }}", "sandbox"),
        ("{{ '{0.__class__}'.format(first_name) }}", "sandbox"),
        ("{{ 'x'.ljust(1000000000) }}", "sandbox"),
        ("{{ '%999999999d' % 1 }}", "sandbox"),
        # Not even a harmless-looking attribute: a template reads values through filters only.
        ("{{ next_game_draw_date.year }}", "sandbox"),
        # Jinja's other globals are gone: to the template they are names nobody gave.
        ("{{ lipsum() }}", "undefined"),
        ("{{ namespace() }}", "undefined"),
        # There is no loader: nothing to include.
        ("{% include 'other' %}", "render"),
    ],
)
def test_escape_attempts_are_refused_at_render(source: str, code: str) -> None:
    assert refusal(source).problem.code == code


def test_filters_outside_our_set_do_not_exist() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        compile_version(Bodies(sms_text="{{ first_name|attr('__class__') }}"))
    [problem] = caught.value.problems
    assert (problem.body, problem.code, problem.line) == ("sms_text", "syntax", 1)
    assert "No filter named 'attr'" in problem.message


def test_an_attribute_read_through_a_variables_value_is_a_sandbox_refusal() -> None:
    # The name only exists at run time, so only the sandbox can refuse it (SecurityError, turned into ours).
    player = {**PLAYER, "next_game": "__class__"}
    with pytest.raises(RenderFailed) as caught:
        compile_version(Bodies(sms_text="Привет\n{{ first_name[next_game] }}")).render(player)
    assert caught.value.problem.code == "sandbox"
    assert caught.value.problem.line == 2
    assert "__class__" in caught.value.problem.message


def test_a_method_is_refused_with_a_pointer_to_filters() -> None:
    failed = refusal("{{ first_name.upper() }}")
    assert failed.problem.code == "sandbox"
    assert "upper" in failed.problem.message


def test_a_macro_and_the_loop_variable_still_work() -> None:
    source = (
        "{% macro star(n) %}{{ '*' * n }}{% endmacro %}"
        "{% for i in range(3) %}{{ loop.index }}{{ star(i) }}{% if not loop.last %},{% endif %}{% endfor %}"
    )
    assert sms(source) == "1,2*,3**"


# ---- limits ---------------------------------------------------------------------------------------------
def test_an_endless_loop_is_stopped_by_the_step_budget() -> None:
    # A generous time limit, so a slow machine cannot make the clock stop it first.
    failed = refusal(
        "Привет\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        RenderLimits(time_limit=60),
    )
    assert failed.problem.code == "limit"
    assert "10000 loop iterations" in failed.problem.message
    assert failed.problem.line == 2


def test_a_slow_loop_is_stopped_by_the_time_limit() -> None:
    started = dt.datetime.now(dt.UTC)
    failed = refusal(
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
        RenderLimits(max_steps=10**9, time_limit=0.05, max_output_chars=10**12),
    )
    elapsed = dt.datetime.now(dt.UTC) - started
    assert failed.problem.code == "limit"
    assert "longer than 50 ms" in failed.problem.message
    assert elapsed < dt.timedelta(seconds=5)


def test_output_over_the_size_limit_is_refused() -> None:
    failed = refusal(
        "{% for i in range(5000) %}0123456789{% endfor %}", RenderLimits(max_output_chars=10_000)
    )
    assert failed.problem.code == "limit"
    assert "longer than 10000 characters" in failed.problem.message


@pytest.mark.parametrize(
    "source",
    [
        "{% set a = 'x' * 50000 %}{% set a = a ~ a %}{% set a = a ~ a %}{% set a = a ~ a %}{{ 1 }}",
        "{% set a = 'x' * 50000 %}{% set a = a + a %}{% set a = a + a %}{{ 1 }}",
        "{{ 'x' * 1000000000 }}",
        "{{ ('x' * 100000) * 100000 }}",
        "{{ 9 ** 9999999 }}",
        "{% set n = 2 ** 4000 %}{{ n * n }}",
    ],
)
def test_no_operator_builds_a_huge_value(source: str) -> None:
    failed = refusal(source)
    assert failed.problem.code == "limit"


def test_a_macro_calling_itself_is_stopped() -> None:
    failed = refusal("{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}")
    assert failed.problem.code == "limit"


def test_errors_name_their_line() -> None:
    failed = refusal("Первая строка\nвторая\n{{ loyalty_balance / 0 }}")
    assert failed.problem.code == "render"
    assert failed.problem.line == 3
    assert "ZeroDivisionError" in failed.problem.message


def test_a_variable_the_caller_did_not_give_is_an_error_not_a_blank() -> None:
    failed = refusal("Ваш регион: {{ region_name }}")
    assert failed.problem.code == "undefined"
    assert "region_name" in failed.problem.message


# ---- channels -------------------------------------------------------------------------------------------
def test_html_is_escaped_and_text_is_not() -> None:
    bodies = Bodies(
        email_subject="Для {{ first_name }}",
        email_text="Привет, {{ first_name }}",
        email_html="<p>Привет, {{ first_name }}</p>",
    )
    rendered = compile_version(bodies).render({**PLAYER, "first_name": "<b>Оля</b> & Ко"})
    assert rendered.email_html == "<p>Привет, &lt;b&gt;Оля&lt;/b&gt; &amp; Ко</p>"
    assert rendered.email_text == "Привет, <b>Оля</b> & Ко"


def test_a_subject_and_a_push_title_are_one_line() -> None:
    bodies = Bodies(
        email_subject="Привет,\n{{ first_name }}", push_title="{{ first_name }}", push_body="a\nb"
    )
    rendered = compile_version(bodies).render({**PLAYER, "first_name": "Оля\r\nBcc: all@example.com"})
    assert rendered.email_subject == "Привет, Оля Bcc: all@example.com"
    assert rendered.push_title == "Оля Bcc: all@example.com"
    assert rendered.push_body == "a\nb"


def test_only_the_bodies_given_are_rendered() -> None:
    assert compile_version(Bodies(sms_text="Привет", push_title="")).render({}) == RenderedMessage(
        sms_text="Привет"
    )


# ---- variables ------------------------------------------------------------------------------------------
def test_variables_outside_the_set_are_refused() -> None:
    with pytest.raises(UnknownVariables, match="password_hash"):
        compile_version(Bodies(sms_text="x")).render({"first_name": "Оля", "password_hash": "…"})


@pytest.mark.parametrize("value", ["12", 12.5, True])
def test_a_value_of_the_wrong_kind_is_refused(value: object) -> None:
    with pytest.raises(VariableValueInvalid, match="loyalty_balance must be int"):
        compile_version(Bodies(sms_text="x")).render({"loyalty_balance": value})


def test_a_moment_without_its_zone_is_refused() -> None:
    version = compile_version(Bodies(sms_text="{{ next_game_draw_date|date }}"))
    with pytest.raises(VariableValueInvalid, match="next_game_draw_date must be date or datetime"):
        version.render({"next_game_draw_date": dt.datetime(2026, 12, 5, 18, 0)})  # noqa: DTZ001 - the bad input
    moment = dt.datetime(2026, 12, 5, 21, 30, tzinfo=dt.UTC)
    with clock.frozen(moment, zone="Europe/Moscow"):
        # 00:30 on the 6th in Moscow: the operator's calendar, not UTC's.
        assert version.render({"next_game_draw_date": moment}).sms_text == "6 декабря"


def test_every_variable_is_documented_with_an_example_of_its_kind() -> None:
    variables = available_variables()
    assert {v.name for v in variables} >= {
        "first_name",
        "middle_name",
        "last_name",
        "region_name",
        "loyalty_balance",
        "loyalty_tier",
        "favourite_game",
        "next_game",
        "days_since_last_purchase",
        "unsubscribe_url",
    }
    assert all(v.description and isinstance(v.example, v.kind) for v in variables)
    sample = sample_context()
    source = " ".join("{{ %s }}" % v.name for v in variables)  # noqa: UP031 - Jinja braces
    assert compile_version(Bodies(email_text=source, email_subject="s")).render(sample).email_text


def test_a_version_is_compiled_once() -> None:
    bodies = Bodies(sms_text="Привет, {{ first_name }}")
    assert compile_version(bodies) is compile_version(Bodies(sms_text="Привет, {{ first_name }}"))
