"""Template rendering benchmark: renders per second of a typical SMS template with five variables.

    PYTHONPATH=src .venv/bin/python bench/template_bench.py [--renders 100000] [--rounds 3]

The same template and the same players, rendered in the same run, one after the other, on one core:

- ``jinja2``: a bare ``jinja2.Environment`` with our filters registered (the raw engine doing the same work);
- ``sandbox``: Jinja2's stock ``ImmutableSandboxedEnvironment`` with our filters (what research figure M5
  measured: 20.7 k renders/s with four variables);
- ``lottocrm``: our renderer as the dispatcher calls it, ``compile_version(bodies).render(variables)``: the
  variables checked against the documented set, the narrowed sandbox, the step/time budget, the counted
  output.

A warm-up pass fills the filters' caches (shared by all three engines); then each round renders every
player once per engine, and the best round of each is reported (the others are noise from the shared
machine). The figures to record are the ratios to ``jinja2``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from collections.abc import Callable

from jinja2 import Environment, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from lottocrm.messaging.templates.filters import FILTERS
from lottocrm.messaging.templates.render import Bodies, CompiledVersion, compile_version
from lottocrm.messaging.templates.sandbox import DEFAULT_LIMITS

SMS = (
    "{{ first_name|first_name('друг') }}, у вас {{ loyalty_balance|points }}! "
    "«{{ next_game }}»: тираж {{ next_game_draw_date|date }}. "
    "Вы не играли {{ days_since_last_purchase }} "
    "{{ days_since_last_purchase|plural('день', 'дня', 'дней') }}."
)
NAMES = ["ольга", "Иван", "АННА-МАРИЯ", "Пётр", "Светлана", "Константин", "", "Юлия"]
GAMES = ["Русское лото", "Жилищная лотерея", "Гослото 6 из 45", "Рапидо"]


def players(count: int) -> list[dict[str, object]]:
    return [
        {
            "first_name": NAMES[i % len(NAMES)],
            "loyalty_balance": (i * 7919) % 50_000,
            "next_game": GAMES[i % len(GAMES)],
            "next_game_draw_date": dt.date(2026, 12, 1) + dt.timedelta(days=i % 28),
            "days_since_last_purchase": i % 120,
        }
        for i in range(count)
    ]


def engines() -> dict[str, Callable[[dict[str, object]], str]]:
    bare = Environment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    bare.filters.update(FILTERS)
    stock = ImmutableSandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    stock.filters.update(FILTERS)
    ours = compile_version(Bodies(sms_text=SMS))
    return {
        "jinja2": bare.from_string(SMS).render,
        "sandbox": stock.from_string(SMS).render,
        "lottocrm": lambda variables: ours.render(variables).sms_text or "",
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=100_000, help="players rendered per engine per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    sample = players(args.renders)
    rendering = engines()
    texts = {name: render(sample[0]) for name, render in rendering.items()}
    if len(set(texts.values())) != 1:
        raise SystemExit(f"the engines disagree on the text: {texts}")
    # The filters cache Babel's answers (plural forms, dates) for every engine alike: warm them first, so
    # the engine timed first does not pay for the others.
    for variables in sample:
        rendering["jinja2"](variables)
    best = {name: float("inf") for name in rendering}
    for round_number in range(1, args.rounds + 1):
        for name, render in rendering.items():
            started = time.perf_counter()
            for variables in sample:
                render(variables)
            best[name] = min(best[name], time.perf_counter() - started)
        print(
            f"round {round_number}/{args.rounds}: " + ", ".join(f"{n} {best[n]:.2f} s" for n in best),
            flush=True,
        )
    rates = {name: args.renders / seconds for name, seconds in best.items()}
    print(f"text: {texts['lottocrm']!r} ({len(texts['lottocrm'])} characters)")
    compile_started = time.perf_counter()
    CompiledVersion(Bodies(sms_text=SMS), DEFAULT_LIMITS)  # what a cache miss costs (a new draft text)
    compile_ms = (time.perf_counter() - compile_started) * 1000
    print(f"compiling the version once (parse, rewrite, compile): {compile_ms:.1f} ms")
    cpu = _cpu_model()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
    print("| engine | renders/s | ratio to bare jinja2 |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {rate / rates['jinja2']:.2f} |")


if __name__ == "__main__":
    main()
