"""Planted duplicate registrations: some players are a person who already registered, typed again with the
noise real re-registrations carry, and the truth says so (``person_id`` in the ground truth).

A duplicate keeps its own player id, registration time, behaviour, phone (a second SIM: the store refuses
one number on two players, whatever its format, so a re-typed number cannot reach it) and e-mail (a second
mailbox, named after the names it typed) — and takes its person's gender, names, birth date and region,
spoiled by: ё written е, the name in Latin letters, first name and surname swapped, an everyday form of
the first name, a typo, the patronymic left out, a birth-date digit wrong or day and month swapped, another
region. Some duplicates give the very mailbox of their person written another way (Gmail without its dots,
ya.ru for yandex.ru), which the store takes as a different address.

The noise has its own random stream per chunk, so the rest of a run is the same with or without it; and
its own short list of everyday names, apart from the matcher's, so the matcher is not tested on its own
dictionary only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.simulator.draws import US_PER_DAY
from lottocrm.simulator.names import PlayerNames, transliterate
from lottocrm.simulator.players import DAYS_PER_YEAR, Profiles

EVERYDAY = {
    "Александр": "Саша", "Алексей": "Лёша", "Дмитрий": "Дима", "Михаил": "Миша", "Николай": "Коля",
    "Сергей": "Серёжа", "Владимир": "Вова", "Евгений": "Женя", "Анастасия": "Настя", "Екатерина": "Катя",
    "Мария": "Маша", "Наталья": "Наташа", "Ольга": "Оля", "Татьяна": "Таня", "Юлия": "Юля",
    "Елена": "Лена", "Анна": "Аня", "Ирина": "Ира", "Светлана": "Света", "Павел": "Паша",
}  # fmt: skip
# Chance of each kind of noise on one duplicate.
NOISE = {
    "yo": 0.5,
    "latin": 0.12,
    "swap": 0.08,
    "everyday": 0.5,
    "typo": 0.25,
    "no_patronymic": 0.25,
    "date_digit": 0.04,
    "date_swap": 0.03,
    "region": 0.04,
    "same_mailbox": 0.15,
}
_RUSSIAN = "абвгдежзийклмнопрстуфхцчшщыэюя"


@dataclass(frozen=True)
class Planted:
    profiles: Profiles
    # Per player: the id of the person's first registration (its own id when it is not a duplicate).
    person_id: np.ndarray
    # Duplicates that give their person's mailbox written another way: duplicate index → original index.
    same_mailbox: dict[int, int]


def _typo(text: str, rng: np.random.Generator) -> str:
    if len(text) < 4:
        return text
    position = int(rng.integers(1, len(text) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:  # a neighbouring letter swapped
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    if kind == 1:  # a letter dropped
        return text[:position] + text[position + 1 :]
    return text[:position] + _RUSSIAN[int(rng.integers(0, len(_RUSSIAN)))] + text[position + 1 :]


def _birth_day(day: int, rng: np.random.Generator, digit: bool, swap: bool) -> int:
    date = np.datetime64(int(day), "D").astype(object)
    if swap and date.day <= 12 and date.day != date.month:
        return int(np.datetime64(date.replace(month=date.day, day=date.month), "D").astype(np.int64))
    if digit:
        shifted = date.replace(
            day=min(28, max(1, date.day + int(rng.choice([-1, 1]) * (1 + rng.integers(0, 9)))))
        )
        return int(np.datetime64(shifted, "D").astype(np.int64))
    return int(day)


def plant(profiles: Profiles, share: float, rng: np.random.Generator, region_count: int) -> Planted:
    """Turn about ``share`` of the players into duplicates of earlier players of the same chunk."""
    count = len(profiles)
    person = profiles.player_id.copy()
    wanted = int(rng.binomial(count, share)) if share > 0 else 0
    adults = np.flatnonzero(~profiles.under_age)
    if wanted == 0 or adults.size < 2:
        return Planted(profiles, person, {})
    chosen = rng.choice(adults, size=min(2 * wanted, adults.size - adults.size % 2), replace=False)
    originals, duplicates = np.minimum(chosen[0::2], chosen[1::2]), np.maximum(chosen[0::2], chosen[1::2])
    last = profiles.names.last.to_pylist()
    first = profiles.names.first.to_pylist()
    middle = profiles.names.middle.to_pylist()
    is_male, birth, region = profiles.is_male.copy(), profiles.birth_day.copy(), profiles.region.copy()
    has_email = profiles.has_email.copy()
    same_mailbox: dict[int, int] = {}
    for original, duplicate in zip(originals.tolist(), duplicates.tolist(), strict=True):
        noise = {name: rng.random() < chance for name, chance in NOISE.items()}
        day = _birth_day(int(profiles.birth_day[original]), rng, noise["date_digit"], noise["date_swap"])
        age_years = (profiles.registered_at[duplicate] // US_PER_DAY - day) / DAYS_PER_YEAR
        if age_years < 18:
            continue
        f, surname, patronymic = first[original], last[original], middle[original]
        if noise["everyday"] and f in EVERYDAY:
            f = EVERYDAY[f]
        if noise["typo"]:
            if rng.random() < 0.5:
                surname = _typo(surname, rng)
            else:
                f = _typo(f, rng)
        if noise["yo"]:
            f, surname = f.replace("ё", "е"), surname.replace("ё", "е")
        if noise["swap"]:
            f, surname = surname, f
        if noise["latin"]:
            f, surname = transliterate(f).title(), transliterate(surname).title()
            patronymic = transliterate(patronymic).title() if patronymic else patronymic
        if noise["no_patronymic"]:
            patronymic = None
        first[duplicate], last[duplicate], middle[duplicate] = f, surname, patronymic
        is_male[duplicate], birth[duplicate] = is_male[original], day
        region[duplicate] = int(rng.integers(0, region_count)) if noise["region"] else region[original]
        person[duplicate] = profiles.player_id[original]
        if noise["same_mailbox"]:
            same_mailbox[duplicate] = original
            has_email[original] = has_email[duplicate] = True
    names = PlayerNames(
        last=pa.array(last, pa.string()),
        first=pa.array(first, pa.string()),
        middle=pa.array(middle, pa.string()),
        last_latin=_latin(last),
        first_latin=_latin(first),
    )
    planted = replace(
        profiles, names=names, is_male=is_male, birth_day=birth, region=region, has_email=has_email
    )
    return Planted(planted, person, same_mailbox)


def _latin(values: list[str]) -> pa.Array:
    return pa.array([transliterate(value) for value in values], pa.string())


def rewrite_mailboxes(emails: pa.Array, planted: Planted) -> pa.Array:
    """The duplicates that give their person's mailbox: its address, written another way."""
    if not planted.same_mailbox:
        return emails
    values = emails.to_pylist()
    for duplicate, original in planted.same_mailbox.items():
        local, _, domain = values[original].partition("@")
        if domain == "gmail.com" and "." in local:
            values[duplicate] = f"{local.replace('.', '')}@{domain}"
        elif domain == "yandex.ru":
            values[duplicate] = f"{local}@ya.ru"
        # Mail.ru's family has neither aliases nor +tags: the duplicate keeps a mailbox of its own.
    return pa.array(values, pa.string())


def person_ids(planted: Planted) -> pa.Array:
    return pc.cast(pa.array(planted.person_id), pa.int64())
