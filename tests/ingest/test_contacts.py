"""Phone and e-mail normalisation over whole columns."""

from __future__ import annotations

import pyarrow as pa

from lottocrm.ingest.contacts import normalise_emails, normalise_phones


def test_common_russian_phone_forms_become_e164() -> None:
    forms = ["8 916 123-45-67", "+7 (916) 123-45-67", "916 123 45 67", "79161234567", "8(495)123-45-67", None]
    values, bad = normalise_phones(pa.array(forms))
    assert values.to_pylist() == [
        "+79161234567",
        "+79161234567",
        "+79161234567",
        "+79161234567",
        "+74951234567",
        None,
    ]
    assert not bad.any()


def test_foreign_numbers_go_through_phonenumbers_and_junk_is_bad() -> None:
    values, bad = normalise_phones(
        pa.array(["+44 20 7946 0958", "+375 29 123-45-67", "12345", "звоните", "+8 916"])
    )
    assert values.to_pylist()[:2] == ["+442079460958", "+375291234567"]
    assert bad.tolist() == [False, False, True, True, True]


def test_emails_are_lower_cased_and_checked() -> None:
    values, bad = normalise_emails(
        pa.array([" Ivan@Mail.RU ", "иван@почта.рф", "a..b@x.ru", "no-at.ru", "x@y"])
    )
    assert values.to_pylist()[:2] == ["ivan@mail.ru", "иван@почта.рф"]
    assert bad.tolist() == [False, False, True, True, True]
