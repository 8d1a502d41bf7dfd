"""Closed vocabularies shared by the store, the lake, ingestion and the simulator.

Kept in one place so an import file, a database CHECK constraint and the simulator cannot disagree.
"""

from __future__ import annotations

from typing import NamedTuple

GENDERS = ("M", "F")
PLAYER_STATUSES = ("active", "blocked", "closed")
REGISTRATION_CHANNELS = ("website", "app", "retail", "call_centre", "partner")
IDENTITY_KINDS = ("phone", "email", "card", "device")
CONSENT_PURPOSES = ("personal_data", "advertising")
CONSENT_CHANNELS = ("sms", "email", "push", "call", "web")
CONSENT_SOURCES = ("website", "app", "retail", "call_centre", "import", "partner")
GAME_KINDS = ("draw", "instant")
DRAW_STATUSES = ("scheduled", "closed", "drawn", "cancelled")
SALES_CHANNELS = ("retail_kiosk", "post_office", "website", "app", "partner")
SESSION_CHANNELS = ("website", "app")


class Region(NamedTuple):
    """A region's name in each language of the UI."""

    ru: str
    en: str


# ISO 3166-2:RU codes of the regions the simulator and the reports know; imports accept any "RU-" code. The
# one table of region names: pages, reports and the simulator's shop names read them from here.
REGIONS: dict[str, Region] = {
    "RU-MOW": Region("Москва", "Moscow"),
    "RU-SPE": Region("Санкт-Петербург", "Saint Petersburg"),
    "RU-MOS": Region("Московская область", "Moscow Oblast"),
    "RU-LEN": Region("Ленинградская область", "Leningrad Oblast"),
    "RU-KDA": Region("Краснодарский край", "Krasnodar Krai"),
    "RU-SVE": Region("Свердловская область", "Sverdlovsk Oblast"),
    "RU-ROS": Region("Ростовская область", "Rostov Oblast"),
    "RU-TA": Region("Республика Татарстан", "Republic of Tatarstan"),
    "RU-BA": Region("Республика Башкортостан", "Republic of Bashkortostan"),
    "RU-CHE": Region("Челябинская область", "Chelyabinsk Oblast"),
    "RU-NIZ": Region("Нижегородская область", "Nizhny Novgorod Oblast"),
    "RU-SAM": Region("Самарская область", "Samara Oblast"),
    "RU-NVS": Region("Новосибирская область", "Novosibirsk Oblast"),
    "RU-KYA": Region("Красноярский край", "Krasnoyarsk Krai"),
    "RU-PER": Region("Пермский край", "Perm Krai"),
    "RU-VOR": Region("Воронежская область", "Voronezh Oblast"),
    "RU-VGG": Region("Волгоградская область", "Volgograd Oblast"),
    "RU-SAR": Region("Саратовская область", "Saratov Oblast"),
    "RU-TYU": Region("Тюменская область", "Tyumen Oblast"),
    "RU-OMS": Region("Омская область", "Omsk Oblast"),
    "RU-IRK": Region("Иркутская область", "Irkutsk Oblast"),
    "RU-PRI": Region("Приморский край", "Primorsky Krai"),
    "RU-KHA": Region("Хабаровский край", "Khabarovsk Krai"),
    "RU-STA": Region("Ставропольский край", "Stavropol Krai"),
    "RU-ALT": Region("Алтайский край", "Altai Krai"),
}


def region_name(code: str | None, locale: str = "en") -> str:
    """The region's name in ``locale`` (ru or en); a code outside the table as it is, none as a dash."""
    if not code:
        return "—"
    region = REGIONS.get(code)
    return (region.ru if locale == "ru" else region.en) if region else code
