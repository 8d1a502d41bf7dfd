"""Regions weighted by population, and the points of sale the operator sells through.

Kiosks and post offices are spread over regions in proportion to population; the website, the app and the
partner networks are national (no region).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lottocrm import vocab

# Rosstat 2021 estimates, millions of residents (Тюменская область without its autonomous okrugs).
REGION_POPULATION_MILLIONS = {
    "RU-MOW": 12.6,
    "RU-SPE": 5.4,
    "RU-MOS": 7.7,
    "RU-LEN": 2.0,
    "RU-KDA": 5.7,
    "RU-SVE": 4.3,
    "RU-ROS": 4.2,
    "RU-TA": 4.0,
    "RU-BA": 4.0,
    "RU-CHE": 3.4,
    "RU-NIZ": 3.2,
    "RU-SAM": 3.2,
    "RU-NVS": 2.8,
    "RU-KYA": 2.9,
    "RU-PER": 2.6,
    "RU-VOR": 2.3,
    "RU-VGG": 2.5,
    "RU-SAR": 2.4,
    "RU-TYU": 1.5,
    "RU-OMS": 1.9,
    "RU-IRK": 2.4,
    "RU-PRI": 1.9,
    "RU-KHA": 1.3,
    "RU-STA": 2.8,
    "RU-ALT": 2.3,
}
assert set(REGION_POPULATION_MILLIONS) == set(vocab.REGIONS)

REGION_CODES = tuple(REGION_POPULATION_MILLIONS)
KIOSKS_PER_MILLION = 6
POST_OFFICES_PER_MILLION = 3
PARTNERS = ("сеть салонов связи", "сеть супермаркетов", "мобильный банк", "сеть АЗС")


def region_weights() -> np.ndarray:
    weights = np.array([REGION_POPULATION_MILLIONS[code] for code in REGION_CODES])
    return weights / weights.sum()


@dataclass(frozen=True)
class PointsOfSale:
    """The POS table plus the lookups purchases need: each region's kiosks and post offices."""

    table: pa.Table
    # Per region: first POS id and count of its kiosks / post offices (ids are contiguous per region).
    kiosk_first: np.ndarray
    kiosk_count: np.ndarray
    post_first: np.ndarray
    post_count: np.ndarray
    website_id: int
    app_id: int
    partner_first: int
    partner_count: int


def build_points_of_sale(opened_at: dt.datetime) -> PointsOfSale:
    ids: list[int] = []
    codes: list[str] = []
    names: list[str] = []
    channels: list[str] = []
    regions: list[str | None] = []

    def add(code: str, name: str, channel: str, region: str | None) -> int:
        ids.append(len(ids) + 1)
        codes.append(code)
        names.append(name)
        channels.append(channel)
        regions.append(region)
        return ids[-1]

    website_id = add("WEB", "Сайт оператора", "website", None)
    app_id = add("APP", "Мобильное приложение", "app", None)
    partner_first = len(ids) + 1
    for number, partner in enumerate(PARTNERS, start=1):
        add(f"PARTNER-{number:02d}", f"Партнёр: {partner}", "partner", None)

    kiosk_first, kiosk_count, post_first, post_count = [], [], [], []
    for region in REGION_CODES:
        city = vocab.REGIONS[region].ru
        population = REGION_POPULATION_MILLIONS[region]
        kiosks = max(2, round(population * KIOSKS_PER_MILLION))
        kiosk_first.append(len(ids) + 1)
        kiosk_count.append(kiosks)
        for number in range(1, kiosks + 1):
            add(f"KIOSK-{region}-{number:04d}", f"Лотерейный киоск №{number}, {city}", "retail_kiosk", region)
        posts = max(1, round(population * POST_OFFICES_PER_MILLION))
        post_first.append(len(ids) + 1)
        post_count.append(posts)
        for number in range(1, posts + 1):
            add(
                f"POST-{region}-{number:04d}",
                f"Отделение почтовой связи №{number}, {city}",
                "post_office",
                region,
            )

    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "code": codes,
            "name": names,
            "channel": channels,
            "region": pa.array(regions, pa.string()),
            "active": pa.array([True] * len(ids)),
            "created_at": pa.array([opened_at] * len(ids), pa.timestamp("us", tz="UTC")),
        }
    )
    return PointsOfSale(
        table=table,
        kiosk_first=np.array(kiosk_first, dtype=np.int64),
        kiosk_count=np.array(kiosk_count, dtype=np.int64),
        post_first=np.array(post_first, dtype=np.int64),
        post_count=np.array(post_count, dtype=np.int64),
        website_id=website_id,
        app_id=app_id,
        partner_first=partner_first,
        partner_count=len(PARTNERS),
    )
