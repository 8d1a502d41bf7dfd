"""Name keys: one key for the spellings of one Russian name, and groups for its everyday forms."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lottocrm.identity.names import first_name_group, first_name_groups, name_key, name_keys


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Алёна", "Alyona"),
        ("Юлия", "Julia"),
        ("Юлия", "Yuliya"),
        ("Наталья", "Natalia"),
        ("Александр", "Alexander"),
        ("Хабибуллин", "Khabibullin"),
        ("Фёдор", "Fyodor"),
        ("Елена", "Yelena"),
        ("Дмитрий", "Dmitriy"),
        ("Щукин", "Shchukin"),
        ("Цветков", "Cvetkov"),
        ("Сергеевна", "Sergeyevna"),
    ],
)
def test_a_name_and_its_transliteration_share_a_key(cyrillic: str, latin: str) -> None:
    assert name_key(cyrillic) == name_key(latin)


def test_yo_and_ye_and_case_and_spaces_do_not_matter() -> None:
    assert name_key(" ФЁДОРОВ ") == name_key("федоров") == name_key("Fedorov")


def test_different_names_keep_different_keys() -> None:
    assert name_key("Иванов") != name_key("Иванова")
    assert name_key("Анна") != name_key("Инна")


def test_everyday_forms_join_their_full_name_and_unknown_names_stand_alone() -> None:
    assert first_name_group(name_key("Саша")) == first_name_group(name_key("Александр"))
    assert first_name_group(name_key("Sasha")) == first_name_group(name_key("Александра"))
    assert first_name_group(name_key("Женя")) == first_name_group(name_key("Евгения"))
    assert first_name_group(name_key("Евпраксия")) == name_key("Евпраксия")


def test_columns_are_keyed_through_their_distinct_values() -> None:
    keys = name_keys(pa.array(["Саша", None, "Alexander", "Саша", ""]))
    assert keys.to_pylist() == ["sasha", None, "aleksandr", "sasha", None]
    assert first_name_groups(keys).to_pylist() == ["aleksandr", None, "aleksandr", "aleksandr", None]


def test_a_plain_i_before_o_is_not_read_as_yo() -> None:
    assert name_key("Нионов") != name_key("Ненов")
    assert name_key("Fyodor") == name_key("Фёдор")
