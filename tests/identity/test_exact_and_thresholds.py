"""The exact-key pass and the thresholds' checks."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lottocrm.identity.errors import IdentitySettingsError
from lottocrm.identity.exact import exact_links
from lottocrm.identity.thresholds import Thresholds


def _identities(rows: list[tuple[int, str, str, bool]]) -> pa.Table:
    player, kind, value, verified = zip(*rows, strict=True)
    return pa.table({"player_id": player, "kind": kind, "value": value, "verified": verified})


def test_one_mailbox_written_two_ways_links_two_registrations() -> None:
    a, b, kinds = exact_links(
        _identities(
            [
                (1, "email", "Ivan.Petrov@gmail.com", True),
                (2, "email", "ivanpetrov+lotto@googlemail.com", True),
                (3, "email", "olga-s@yandex.ru", True),
                (4, "email", "olga.s@ya.ru", True),
                (5, "card", "7800 0000 0001", True),
                (6, "card", "780000000001", True),
            ]
        )
    )
    found = sorted(zip(a.tolist(), b.tolist(), kinds, strict=True))
    assert found == [(1, 2, "email"), (3, 4, "email"), (5, 6, "card")]


def test_unverified_keys_and_keys_shared_by_a_crowd_link_nobody() -> None:
    rows = [(1, "email", "a.b@gmail.com", True), (2, "email", "ab@gmail.com", False)]
    rows += [(player, "device", "shop-tablet", True) for player in range(10, 15)]
    a, _b, _kinds = exact_links(_identities(rows), key_limit=3)
    assert a.size == 0


def test_thresholds_in_the_wrong_order_are_refused_with_both_values() -> None:
    with pytest.raises(IdentitySettingsError, match=r"probable threshold \(0.99\) must be below the certain"):
        Thresholds(certain=0.9, probable=0.99)
    with pytest.raises(IdentitySettingsError, match="must be below"):
        Thresholds(certain=0.9, probable=0.9)


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(IdentitySettingsError, match="certain threshold must be a probability"):
        Thresholds(certain=1.5, probable=0.5)
    with pytest.raises(IdentitySettingsError, match="probable threshold must be a probability"):
        Thresholds(certain=0.99, probable=0.0)
