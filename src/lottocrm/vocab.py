"""Closed vocabularies shared by the store, the lake, ingestion and the simulator.

Kept in one place so an import file, a database CHECK constraint and the simulator cannot disagree.
"""

from __future__ import annotations

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

# ISO 3166-2:RU codes of the regions the simulator and the reports know; imports accept any "RU-" code.
REGIONS = {
    "RU-MOW": "Москва",
    "RU-SPE": "Санкт-Петербург",
    "RU-MOS": "Московская область",
    "RU-LEN": "Ленинградская область",
    "RU-KDA": "Краснодарский край",
    "RU-SVE": "Свердловская область",
    "RU-ROS": "Ростовская область",
    "RU-TA": "Республика Татарстан",
    "RU-BA": "Республика Башкортостан",
    "RU-CHE": "Челябинская область",
    "RU-NIZ": "Нижегородская область",
    "RU-SAM": "Самарская область",
    "RU-NVS": "Новосибирская область",
    "RU-KYA": "Красноярский край",
    "RU-PER": "Пермский край",
    "RU-VOR": "Воронежская область",
    "RU-VGG": "Волгоградская область",
    "RU-SAR": "Саратовская область",
    "RU-TYU": "Тюменская область",
    "RU-OMS": "Омская область",
    "RU-IRK": "Иркутская область",
    "RU-PRI": "Приморский край",
    "RU-KHA": "Хабаровский край",
    "RU-STA": "Ставропольский край",
    "RU-ALT": "Алтайский край",
}
