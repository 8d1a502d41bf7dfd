"""The exact-key pass: two registrations holding the same verified phone, e-mail, loyalty card or app
device are one person, without a model.

The store already refuses one identity value on two players, so what this pass finds is the same contact
written two ways — ``ivan.petrov@gmail.com`` and ``ivanpetrov+lotto@gmail.com``, ``@ya.ru`` and
``@yandex.ru`` — compared in canonical form (:mod:`lottocrm.identity.records`). Only verified identities
count (an unverified e-mail may be a typo of someone else's), and a key held by more than ``key_limit``
registrations links none of them: a shared family tablet or a shop's phone is not a person. Former
identities are never keys, so a recycled phone number never joins its old and new owners.
"""

from __future__ import annotations

from itertools import combinations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.identity.records import canonical_emails, phone_digits

KEY_LIMIT = 3


def canonical_keys(identities: pa.Table) -> pa.Table:
    """(player_id, kind, key) of the verified identities, each value in its canonical form."""
    verified = identities.filter(pc.equal(identities["verified"], True))
    kinds, values = verified["kind"], verified["value"]
    digits = pc.replace_substring_regex(values, r"[^0-9]", "")
    key = pc.case_when(
        pc.make_struct(
            pc.equal(kinds, "phone"),
            pc.equal(kinds, "email"),
            pc.equal(kinds, "card"),
            field_names=["p", "e", "c"],
        ),
        phone_digits(values),
        canonical_emails(values),
        digits,
        pc.utf8_lower(pc.utf8_trim_whitespace(values)),
    )
    return pa.table({"player_id": verified["player_id"], "kind": kinds, "key": key})


def exact_links(
    identities: pa.Table, *, key_limit: int = KEY_LIMIT
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Links (a < b) between every two registrations sharing a canonical key, and the key's kind."""
    keys = canonical_keys(identities)
    with duckdb.connect() as connection:
        connection.register("identity_keys", keys)
        groups = connection.sql(
            "SELECT kind, list(DISTINCT player_id ORDER BY player_id) AS players FROM identity_keys "
            "WHERE key IS NOT NULL AND key <> '' GROUP BY kind, key "
            f"HAVING count(DISTINCT player_id) BETWEEN 2 AND {int(key_limit)}"
        ).fetchall()
    a: list[int] = []
    b: list[int] = []
    kinds: list[str] = []
    for kind, players in groups:
        for x, y in combinations(players, 2):
            a.append(x)
            b.append(y)
            kinds.append(kind)
    return np.array(a, np.int64), np.array(b, np.int64), kinds
