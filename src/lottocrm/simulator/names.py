"""Russian names, drawn from pools that Faker ``ru_RU`` fills once per run.

Faker costs microseconds per call, far too slow for millions of players, so each pool is generated once and
players index into it with numpy. Surnames and patronymics agree with the player's gender.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from lottocrm.players.names import fold_full_names

POOL_SIZE = 4096

# GOST 7.79-2000 system B style, the one Russian e-mail providers suggest for Latin addresses.
_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def transliterate(name: str) -> str:
    return "".join(_TRANSLIT.get(letter, letter) for letter in name.lower())


@dataclass(frozen=True)
class NamePool:
    """Parallel Cyrillic and Latin spellings of one kind of name, for one gender."""

    cyrillic: pa.Array
    latin: pa.Array

    @classmethod
    def from_names(cls, names: list[str]) -> NamePool:
        return cls(cyrillic=pa.array(names), latin=pa.array([transliterate(n) for n in names]))

    def __len__(self) -> int:
        return len(self.cyrillic)


@dataclass(frozen=True)
class NamePools:
    first: dict[str, NamePool]
    last: dict[str, NamePool]
    middle: dict[str, NamePool]

    @classmethod
    def generate(cls, seed: int) -> NamePools:
        fake = Faker("ru_RU")
        fake.seed_instance(seed)

        def pool(method: str) -> NamePool:
            return NamePool.from_names([getattr(fake, method)() for _ in range(POOL_SIZE)])

        return cls(
            first={"M": pool("first_name_male"), "F": pool("first_name_female")},
            last={"M": pool("last_name_male"), "F": pool("last_name_female")},
            middle={"M": pool("middle_name_male"), "F": pool("middle_name_female")},
        )


@dataclass(frozen=True)
class PlayerNames:
    last: pa.Array
    first: pa.Array
    middle: pa.Array
    last_latin: pa.Array
    first_latin: pa.Array

    @property
    def search_name(self) -> pa.Array:
        return fold_full_names(self.last, self.first, self.middle)


def draw_names(pools: NamePools, is_male: np.ndarray, rng: np.random.Generator) -> PlayerNames:
    """Pick a first name, surname and patronymic of the right gender for every player."""
    picks = {}
    for kind in ("first", "last", "middle"):
        male_pool: NamePool = getattr(pools, kind)["M"]
        female_pool: NamePool = getattr(pools, kind)["F"]
        index = rng.integers(0, POOL_SIZE, size=len(is_male))
        picks[kind] = tuple(
            pc.if_else(pa.array(is_male), male.take(index), female.take(index))
            for male, female in (
                (male_pool.cyrillic, female_pool.cyrillic),
                (male_pool.latin, female_pool.latin),
            )
        )
    return PlayerNames(
        last=picks["last"][0],
        first=picks["first"][0],
        middle=picks["middle"][0],
        last_latin=picks["last"][1],
        first_latin=picks["first"][1],
    )
