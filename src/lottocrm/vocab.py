"""Closed vocabularies shared by the store, the lake, ingestion and the simulator.

Kept in one place so an import file, a database CHECK constraint and the simulator cannot disagree.
"""

from __future__ import annotations

from typing import NamedTuple

GENDERS = ("M", "F")
PLAYER_STATUSES = ("active", "blocked", "closed")
REGISTRATION_CHANNELS = ("website", "app", "retail", "call_centre", "partner")
IDENTITY_KINDS = ("phone", "email", "card", "device")
# "service": win notices, one-time codes, case updates. They need no consent, but a player may refuse them on
# a channel; a withdrawal recorded under this purpose stops them there.
CONSENT_PURPOSES = ("personal_data", "advertising", "service")
CONSENT_CHANNELS = ("sms", "email", "push", "call", "web")
# "unsubscribe_link": the signed link in a message; "sms_reply": a STOP texted back.
CONSENT_SOURCES = (
    "website",
    "app",
    "retail",
    "call_centre",
    "import",
    "partner",
    "unsubscribe_link",
    "sms_reply",
)
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


# Each region's IANA time zone, for every federal subject with an ISO 3166-2:RU code (Russia spans UTC+2 to
# UTC+12): quiet hours are the player's own. A region outside this table falls back to the operator's zone.
# Where a subject spans zones (Sakha) the zone of its capital is used.
REGION_ZONES: dict[str, str] = {
    "RU-KGD": "Europe/Kaliningrad",
    **dict.fromkeys(
        (
            "RU-MOW",
            "RU-SPE",
            "RU-MOS",
            "RU-LEN",
            "RU-AD",
            "RU-ARK",
            "RU-BEL",
            "RU-BRY",
            "RU-CE",
            "RU-CU",
            "RU-DA",
            "RU-IN",
            "RU-IVA",
            "RU-KB",
            "RU-KC",
            "RU-KDA",
            "RU-KIR",
            "RU-KL",
            "RU-KLU",
            "RU-KO",
            "RU-KOS",
            "RU-KR",
            "RU-KRS",
            "RU-LIP",
            "RU-ME",
            "RU-MO",
            "RU-MUR",
            "RU-NEN",
            "RU-NGR",
            "RU-NIZ",
            "RU-ORL",
            "RU-PNZ",
            "RU-PSK",
            "RU-ROS",
            "RU-RYA",
            "RU-SE",
            "RU-SMO",
            "RU-STA",
            "RU-TA",
            "RU-TAM",
            "RU-TUL",
            "RU-TVE",
            "RU-VGG",
            "RU-VLA",
            "RU-VLG",
            "RU-VOR",
            "RU-YAR",
        ),
        "Europe/Moscow",
    ),
    "RU-SAM": "Europe/Samara",
    "RU-UD": "Europe/Samara",
    "RU-AST": "Europe/Astrakhan",
    "RU-SAR": "Europe/Saratov",
    "RU-ULY": "Europe/Ulyanovsk",
    **dict.fromkeys(
        ("RU-SVE", "RU-CHE", "RU-KGN", "RU-TYU", "RU-KHM", "RU-YAN", "RU-BA", "RU-ORE", "RU-PER"),
        "Asia/Yekaterinburg",
    ),
    "RU-OMS": "Asia/Omsk",
    "RU-NVS": "Asia/Novosibirsk",
    "RU-TOM": "Asia/Tomsk",
    "RU-ALT": "Asia/Barnaul",
    "RU-AL": "Asia/Barnaul",
    "RU-KEM": "Asia/Novokuznetsk",
    "RU-KYA": "Asia/Krasnoyarsk",
    "RU-TY": "Asia/Krasnoyarsk",
    "RU-KK": "Asia/Krasnoyarsk",
    "RU-IRK": "Asia/Irkutsk",
    "RU-BU": "Asia/Irkutsk",
    "RU-ZAB": "Asia/Chita",
    "RU-AMU": "Asia/Yakutsk",
    "RU-SA": "Asia/Yakutsk",
    "RU-PRI": "Asia/Vladivostok",
    "RU-KHA": "Asia/Vladivostok",
    "RU-YEV": "Asia/Vladivostok",
    "RU-SAK": "Asia/Sakhalin",
    "RU-MAG": "Asia/Magadan",
    "RU-KAM": "Asia/Kamchatka",
    "RU-CHU": "Asia/Anadyr",
}
