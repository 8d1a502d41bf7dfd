"""A Russian page reads Russian: refusals, vocabulary codes, regions, audit actions and actors are shown by
their translation; the API keeps its English messages and codes."""

from __future__ import annotations

import ast
import json
import re
from html import unescape
from pathlib import Path

import pytest

from helpers.web_app import csrf_of
from lottocrm import vocab
from lottocrm.audit.actions import ACTION_LABELS, DETAIL_LABELS
from lottocrm.web.i18n import translations

SRC = Path(__file__).parents[2] / "src" / "lottocrm"
# Modules whose refusals reach a page: the players screens and the admin's account pages.
REFUSING_MODULES = [
    "players/service.py",
    "players/consents.py",
    "players/search.py",
    "players/access.py",
    "players/ui.py",
    "auth/service.py",
    "identity/review.py",
]
RUSSIAN = translations("ru")


def _visible(html: str) -> str:
    """The page's text as a person sees it: no tags, no attribute values."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _translated(msgid: str) -> bool:
    return RUSSIAN.gettext(msgid) != msgid


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\((\w+)\)[sr]", text))


def test_refusals_read_in_russian_and_the_api_keeps_english(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    search = _visible(client.get("/players", params={"q": "а"}).text)
    assert "Поиск невозможен: в имени нужно хотя бы 2 буквы" in search and "letters" not in search
    csrf = csrf_of(client, "/players/1003")
    refused = client.post(
        "/players/1003/identities",
        data={"csrf_token": csrf, "kind": "phone", "value": "12", "reason": "опечатка"},
    )
    page = _visible(refused.text)
    assert refused.status_code == 400 and "Не сохранено: это не номер телефона: '12'" in page
    assert "not a valid phone number" not in page
    api = client.get("/api/v1/players", params={"q": "а"})
    assert api.status_code == 400 and api.json()["detail"] == "a name needs at least 2 letters"
    contact = client.get("/api/v1/players/1001").json()["identities"][0]
    answer = client.put(
        f"/api/v1/players/1001/identities/{contact['id']}",
        json={"value": "12", "reason": "опечатка"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.json() == {"detail": "not a valid phone number: '12'", "code": "invalid_contact"}


def test_a_refusal_page_of_another_route_is_russian_too(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("operator").get(
        "/players/999999/activity/tickets", params={"after": "2026-01-01T00:00:00+00:00|1"}
    )
    assert page.status_code == 404 and "нет игрока с номером 999999" in _visible(page.text)


def test_no_raw_codes_on_the_russian_search_and_360(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("supervisor")
    results = _visible(client.get("/players", params={"q": "Фёдоров"}).text)
    assert "Москва" in results and "RU-MOW" not in results
    client_for("operator").get("/players/1001")
    page = _visible(client.get("/players/1001").text)
    assert "Москва" in page and "RU-MOW" not in page
    assert "киоск" in page and "retail_kiosk" not in page
    assert "мужской" in page
    assert "Просмотр карточки игрока" in page and "player.view" not in page
    assert "Operator (оператор)" in page and "user:operator" not in page
    assert "импорт: tests" in page and "Добавление контакта" in page
    self_excluded = _visible(client.get("/players/1002").text)
    assert "самоисключение" in self_excluded and "self_exclusion" not in self_excluded


def test_the_audit_page_names_actions_and_people(client_for) -> None:  # type: ignore[no-untyped-def]
    client_for("operator").get("/players/1001")
    page = _visible(client_for("admin").get("/audit", params={"player_id": "1001"}).text)
    assert "Просмотр карточки игрока" in page and "Operator (оператор)" in page
    assert "player.view" not in page and "user:operator" not in page
    assert "Персональные данные скрыты: нет" in page


def _strings(node: ast.expr) -> list[str]:
    """The literal strings an expression may be: a constant, or either branch of ``a if c else b``."""
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return [node.value] if isinstance(node, ast.Constant) and isinstance(node.value, str) else []


def test_every_audit_action_has_a_label_translated_into_russian() -> None:
    recorded, built = set(), set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "action":
                recorded.update(_strings(node.value))
                if isinstance(node.value, ast.JoinedStr):
                    built.update(_strings(node.value.values[0]))
    assert len(recorded) > 40 and built == {"player.identity."}
    assert recorded - set(ACTION_LABELS) == set(), "label these in lottocrm/audit/actions.py"
    assert {"player.identity.replace", "player.identity.remove"} <= set(ACTION_LABELS)
    labels = [*ACTION_LABELS.values(), *DETAIL_LABELS.values()]
    assert [label for label in labels if not _translated(label)] == []


def _refusal_templates() -> list[str]:
    """The message of every refusal raised (or built by a refusal's own ``__init__``) with a literal text in
    the modules behind pages; a message formatted in place (an f-string) cannot be translated and fails."""
    found = []
    for name in REFUSING_MODULES:
        for node in ast.walk(ast.parse((SRC / name).read_text(encoding="utf-8"))):
            call = node.exc if isinstance(node, ast.Raise) else node
            is_init = isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "__init__"
            if (
                not isinstance(call, ast.Call)
                or not call.args
                or not (isinstance(node, ast.Raise) or is_init)
            ):
                continue
            assert not isinstance(call.args[0], ast.JoinedStr), f"{name}:{call.lineno}: pass the values apart"
            found += _strings(call.args[0])
    return found


def test_every_refusal_behind_a_page_has_a_russian_template() -> None:
    templates = _refusal_templates()
    assert len(templates) > 30
    assert [t for t in templates if not _translated(t)] == []
    assert [t for t in templates if _placeholders(RUSSIAN.gettext(t)) != _placeholders(t)] == []


@pytest.mark.parametrize("locale, name", [("ru", "Республика Татарстан"), ("en", "Republic of Tatarstan")])
def test_region_names_come_from_one_table(locale: str, name: str) -> None:
    assert vocab.region_name("RU-TA", locale) == name
    assert vocab.region_name("RU-XYZ", locale) == "RU-XYZ" and vocab.region_name(None, locale) == "—"


def test_the_dashboard_names_every_region_and_channel(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("marketer").get("/dashboard").text
    attribute = re.search(r"data-names='([^']+)'", page)
    assert attribute
    names = json.loads(unescape(attribute.group(1)))
    assert {code: names[code] for code in vocab.REGIONS} == {code: r.ru for code, r in vocab.REGIONS.items()}
    assert names["retail_kiosk"] == "киоск" and names["post_office"] == "почта"
