"""The architecture's rules that an import contract cannot see (those are in pyproject.toml, lint-imports):
files stay small, manifests are plain data naming their own domain's modules and every path resolves,
and handlers leave audit rows, jobs and events to the services."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from lottocrm import domains
from lottocrm.manifest import resolve

SRC = Path(__file__).parents[1] / "src" / "lottocrm"
MAX_LINES = 500
# Delivery files: they parse, authorise and translate; services change state.
HANDLER_NAMES = {"ui.py", "api.py", "admin_ui.py", "rewards_api.py"}
# What only a service may call: the audit log's writer, the job queue's producers, the event outbox.
SERVICE_ONLY = {
    "lottocrm.audit.service": {"record"},
    "lottocrm.jobs.service": {"enqueue", "enqueue_many"},
    "lottocrm.events.outbox": {"emit"},
}


def _python_files() -> list[Path]:
    return sorted(path for path in SRC.rglob("*.py") if "migrations" not in path.parts)


def test_no_module_grows_past_the_budget() -> None:
    too_long = {
        str(path.relative_to(SRC)): length
        for path in _python_files()
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these into modules with one job each (budget {MAX_LINES} lines)"


def _handlers() -> list[Path]:
    return [*(SRC / "cli").glob("*.py"), *(path for path in _python_files() if path.name in HANDLER_NAMES)]


def _service_only_calls(tree: ast.Module) -> list[str]:
    """Names of service-only functions a module imports or reaches through its module alias."""
    found = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in SERVICE_ONLY:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name in SERVICE_ONLY[node.module]]
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in SERVICE_ONLY:
                    aliases[alias.asname or alias.name] = full
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in SERVICE_ONLY:
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr in SERVICE_ONLY[aliases[node.value.id]]
        ):
            found.append(f"{aliases[node.value.id]}.{node.attr}")
    return found


def test_handlers_leave_audit_jobs_and_events_to_services() -> None:
    offenders = {
        str(path.relative_to(SRC)): calls
        for path in _handlers()
        if (calls := _service_only_calls(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_check_of_handlers_can_fail() -> None:
    caught = _service_only_calls(
        ast.parse(
            "from lottocrm.audit import service as audit\nfrom lottocrm.jobs.service import enqueue\n"
            "audit.record(s, actor=a, action='x')\n"
        )
    )
    assert caught == ["lottocrm.jobs.service.enqueue", "lottocrm.audit.service.record"]


@pytest.mark.parametrize("domain", domains.INSTALLED, ids=lambda domain: domain.name)
def test_a_manifest_is_data_about_its_own_domain(domain) -> None:  # type: ignore[no-untyped-def]
    own = _wiring_module_of(domain)
    tree = ast.parse(Path(own.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert imported <= {"lottocrm.manifest", "__future__"}, imported
    package = own.__name__.rsplit(".", 1)[0]
    paths = [
        *domain.models,
        *domain.api,
        *domain.ui,
        *domain.web_setup,
        *domain.panels,
        *domain.timeline,
        *domain.events,
        *(job.handler for job in domain.jobs),
        *(subscriber.handler for subscriber in domain.subscribers),
    ]
    for path in paths:
        assert path.startswith(package + "."), f"{own.__name__} names another domain's {path}"
    for command in domain.commands:
        assert command.target.startswith(("lottocrm.cli.", package + ".")), command


def _wiring_module_of(domain):  # type: ignore[no-untyped-def]
    import sys

    for name, module in sys.modules.items():
        if name.endswith(".wiring") and getattr(module, "DOMAIN", None) is domain:
            return module
    raise AssertionError(f"no wiring module holds {domain.name}")


def test_every_path_in_every_manifest_resolves() -> None:
    for domain in domains.INSTALLED:
        paths = [
            *domain.models,
            *domain.api,
            *domain.ui,
            *domain.web_setup,
            *domain.panels,
            *domain.timeline,
            *domain.events,
            *(job.handler for job in domain.jobs),
            *(subscriber.handler for subscriber in domain.subscribers),
            *(command.target for command in domain.commands),
        ]
        for path in paths:
            assert resolve(path) is not None, path


def test_a_commands_listed_help_is_its_own_first_words() -> None:
    """``lottocrm --help`` shows the manifest's line without importing the command; it must not drift."""
    from lottocrm.cli.main import _load

    for command in domains.commands():
        loaded: click.Command = _load(command)
        own = " ".join((loaded.help or "").split())
        assert own.startswith(command.help.rstrip(".")), (command.name, command.help, own[:120])
