"""The rows the matcher compares, one per player: name keys, birth date, region, phone, e-mail.

Built from Arrow columns (players and their identities as extracted from the store, or any labelled file
for the benches), vectorised: names through their distinct values (:mod:`lottocrm.identity.names`), phones
and e-mails with Arrow's string kernels.

E-mail canonical form: lower case, the ``+tag`` dropped, Gmail's dots ignored, Yandex's many domains
(ya.ru, yandex.com, narod.ru …) one — the same mailbox written the ways people write it.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.identity.names import first_name_groups, name_keys

YANDEX_DOMAINS = ("ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "narod.ru")
GMAIL_DOMAINS = ("googlemail.com",)


def canonical_emails(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    local = pc.replace_substring_regex(lowered, r"@.*$", "")
    domain = pc.replace_substring_regex(lowered, r"^[^@]*@", "")
    for alias in YANDEX_DOMAINS:
        domain = pc.if_else(pc.equal(domain, alias), "yandex.ru", domain)
    for alias in GMAIL_DOMAINS:
        domain = pc.if_else(pc.equal(domain, alias), "gmail.com", domain)
    local = pc.replace_substring_regex(local, r"\+.*$", "")
    local = pc.if_else(pc.equal(domain, "gmail.com"), pc.replace_substring(local, ".", ""), local)
    # Yandex delivers "ivan-petrov" and "ivan.petrov" to one mailbox.
    local = pc.if_else(pc.equal(domain, "yandex.ru"), pc.replace_substring(local, "-", "."), local)
    return pc.binary_join_element_wise(local, domain, "@")


def email_locals(canonical: pa.Array) -> pa.Array:
    """The part before the @: the same handle at another provider is strong evidence. Not compared for
    mere similarity — a handle is usually made of the names, already compared on their own."""
    return pc.replace_substring_regex(canonical, r"@.*$", "")


def phone_digits(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The national number's ten digits (E.164 without +7, or whatever digits there are, last ten)."""
    digits = pc.replace_substring_regex(values, r"[^0-9]", "")
    return pc.utf8_slice_codeunits(digits, -10)


def _empty_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.utf8_length(values), 0), pa.scalar(None, pa.string()), values)


def build_records(
    *,
    unique_id: pa.Array,
    first_name: pa.Array,
    last_name: pa.Array,
    middle_name: pa.Array | None = None,
    birth_date: pa.Array | None = None,
    region: pa.Array | None = None,
    phone: pa.Array | None = None,
    email: pa.Array | None = None,
    extras: dict[str, pa.Array] | None = None,
) -> pa.Table:
    """One record per row. ``birth_date`` is a date or ``YYYYMMDD`` text; missing fields are left out."""
    count = len(unique_id)
    nulls = pa.nulls(count, pa.string())
    first = name_keys(first_name)
    last = name_keys(last_name)
    group = first_name_groups(first)
    # The unordered pair of name group and surname: blocks a registration with the two boxes swapped.
    low = pc.if_else(pc.less_equal(group, last), group, last)
    high = pc.if_else(pc.less_equal(group, last), last, group)
    columns: dict[str, pa.Array] = {
        "unique_id": pa.array(unique_id, pa.int64()),
        "first_name": first,
        "first_group": group,
        "last_name": last,
        "middle_name": name_keys(middle_name) if middle_name is not None else nulls,
        "name_pair": pc.binary_join_element_wise(low, high, "|"),
    }
    if birth_date is not None:
        if pa.types.is_date(birth_date.type):
            birth_date = pc.strftime(pc.cast(birth_date, pa.timestamp("s")), format="%Y%m%d")
        columns["birth_date"] = _empty_to_null(pc.utf8_trim_whitespace(birth_date))
    if region is not None:
        columns["region"] = _empty_to_null(pc.utf8_trim_whitespace(pc.cast(region, pa.string())))
    if phone is not None:
        columns["phone"] = _empty_to_null(phone_digits(phone))
    if email is not None:
        canonical = canonical_emails(email)
        columns["email"] = canonical
        columns["email_local"] = _empty_to_null(email_locals(canonical))
    for name, values in (extras or {}).items():
        columns[name] = _empty_to_null(pc.utf8_trim_whitespace(pc.cast(values, pa.string())))
    return pa.table(columns)


def first_identity(identities: pa.Table, kind: str, player_ids: pa.Array) -> pa.Array:
    """Each player's ``kind`` identity (a verified one first, then the oldest), aligned with ``player_ids``;
    null for a player without one. ``identities`` has player_id, kind, value, verified, created_at."""
    rows = identities.filter(pc.equal(identities["kind"], kind))
    if rows.num_rows == 0:
        return pa.nulls(len(player_ids), pa.string())
    order = pc.sort_indices(
        rows, [("player_id", "ascending"), ("verified", "descending"), ("created_at", "ascending")]
    )
    rows = rows.take(order)
    ids = rows["player_id"]
    first = pc.not_equal(ids.slice(1), ids.slice(0, rows.num_rows - 1)) if rows.num_rows > 1 else None
    keep = (
        pa.concat_arrays([pa.array([True]), first.combine_chunks()])
        if first is not None
        else pa.array([True])
    )
    rows = rows.filter(keep)
    position = pc.index_in(player_ids, rows["player_id"])
    return rows["value"].take(position)
