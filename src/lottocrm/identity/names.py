"""Names in the one form the matcher compares: Latin letters, spelling variants folded, everyday forms
grouped.

A Russian name reaches the operator as «Алёна», «Алена», «Alena» or «Alyona», and as «Саша» for
«Александр». Comparing raw strings would call these different people, so every name is turned into a
*key*: lower case, ё folded to е, Cyrillic transliterated, and the Latin spellings that transliteration
systems disagree on (kh/h, ya/ia/ja, iy/y, x/ks …) folded to one. A first name also gets a *group*: the
full name its everyday form stands for, from ``data/diminutives.csv`` (shipped with the package, so it
works offline).

Whole columns are handled through their distinct values (a 20 M-player column holds a few hundred thousand
different names), so the per-value Python below runs once per name, not once per player.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

# Close to GOST 7.79-2000 system B, the transliteration passports and mail providers suggest; the folding
# below makes the other systems' spellings land on the same key.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian and Belarusian letters that turn up in Russian registrations.
    "і": "i", "ї": "yi", "є": "e", "ў": "u",
}  # fmt: skip

# Applied in order to the Latin spelling: each rewrites one way of writing a Russian sound into the way
# the table above writes it.
_LATIN_FOLDS = (
    (re.compile(r"shch|shh|sch"), "sch"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"w"), "v"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"tz|cz"), "ts"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"c(?!h)"), "ts"),
    (re.compile(r"q"), "k"),
    # Iotated vowels: Yulia, Iulia, Julia, Yuliya; Natalya, Natalia, Natalja.
    (re.compile(r"(?<=[aeiouy])[ij](?=[aeou])"), "y"),
    # Not before "o": "io" is a plain и + о far more often (Нионов, Антонио) than a spelt ё.
    (re.compile(r"(?<![aeiouy])[ij](?=[au])"), "y"),
    (re.compile(r"\bj"), "y"),
    (re.compile(r"yi|iy|ij|yj|ii|yy"), "y"),
    # Ye / yo at a word's start or after a vowel (Yelena, Yolkin, Fyodor): е and ё are written "e".
    (re.compile(r"(?:(?<=\b)|(?<=[aeiou]))y([eo])"), r"\1"),
    (re.compile(r"(?<=[bvgdzklmnprstfh])yo"), "e"),
    (re.compile(r"ie\b"), "iye"),
    # The English spelling of the commonest name (Alexander, Aleksandr).
    (re.compile(r"ander\b"), "andr"),
    # Doubled letters are typed single as often as double (Alla/Ala, Kirill/Kiril).
    (re.compile(r"([a-z])\1+"), r"\1"),
)
_NOT_LETTERS = re.compile(r"[^a-z]+")
_LATIN = re.compile(r"[a-z]")


def name_key(text: str | None) -> str | None:
    """The comparable form of one name (or one surname, one patronymic); None when nothing is left."""
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    latin = "".join(_CYRILLIC.get(letter, letter) for letter in folded)
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    words = [_fold_latin(word) for word in _NOT_LETTERS.split(latin) if _LATIN.search(word)]
    joined = "".join(words)
    return joined or None


def _fold_latin(word: str) -> str:
    for pattern, replacement in _LATIN_FOLDS:
        word = pattern.sub(replacement, word)
    return word


@cache
def diminutive_groups() -> dict[str, str]:
    """Name key → group key, from the shipped list (every name in a group, the full forms included)."""
    groups: dict[str, str] = {}
    text = resources.files("lottocrm.identity").joinpath("data/diminutives.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    for row in rows:
        name, group = name_key(row["name"]), name_key(row["group"])
        if name and group:
            groups[name] = group
    return groups


def first_name_group(key: str | None) -> str | None:
    """The group of a first name's key: its full form when it is a known everyday form, else itself."""
    if key is None:
        return None
    return diminutive_groups().get(key, key)


def _map_distinct(values: pa.Array | pa.ChunkedArray, function) -> pa.Array:  # type: ignore[no-untyped-def]
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    mapped = pa.array([function(value) for value in encoded.dictionary.to_pylist()], pa.string())
    return mapped.take(encoded.indices)


def name_keys(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`name_key` of a whole column."""
    return _map_distinct(values, name_key)


def first_name_groups(keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`first_name_group` of a column of keys."""
    return _map_distinct(keys, first_name_group)
