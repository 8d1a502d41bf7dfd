"""Phones to E.164 (region RU), e-mails to lower case, card numbers to digits: whole columns at a time.

The Russian forms that make up nearly every row (``8 916 123-45-67``, ``+7 (916) 123-45-67``,
``916 123 45 67``) are rewritten with Arrow string kernels. Only the distinct values those forms do not
cover (foreign numbers, odd spellings) go through ``phonenumbers``, once per distinct value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.ingest.context import mask
from lottocrm.players.contact_formats import phone_as_e164, valid_emails

PHONE_CHARACTERS = r"^\+?[0-9 ()\-.]+$"
# Russian numbers: 10 national digits starting 3 (region), 4 (region), 8 (free-phone), 9 (mobile).
RUSSIAN_NATIONAL = r"^[3489][0-9]{9}$"
RUSSIAN_WITH_TRUNK = r"^[78][3489][0-9]{9}$"
CARD = r"^[0-9]{6,20}$"

BAD_PHONE = "not a valid phone number (expected e.g. +7 916 123-45-67)"
BAD_EMAIL = "not a valid e-mail address"
BAD_CARD = "card number must be 6 to 20 digits"


def _null(like: pa.Array) -> pa.Scalar:
    return pa.scalar(None, like.type)


def normalise_phones(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """E.164 strings and a mask of values that are not phone numbers (nulls stay null, not bad)."""
    text = pc.utf8_trim_whitespace(text)
    plain = pc.match_substring_regex(text, PHONE_CHARACTERS)
    digits = pc.replace_substring_regex(text, r"[^0-9]", "")
    plus = pc.starts_with(text, "+")
    with_trunk = pc.and_(
        pc.match_substring_regex(digits, RUSSIAN_WITH_TRUNK),
        # "+8 916 …" is not a Russian number; "+7 …" and "8 …" and "7 …" are.
        pc.or_(pc.invert(plus), pc.starts_with(digits, "7")),
    )
    national_only = pc.and_(pc.match_substring_regex(digits, RUSSIAN_NATIONAL), pc.invert(plus))
    national = pc.if_else(
        with_trunk,
        pc.utf8_slice_codeunits(digits, 1),
        pc.if_else(national_only, digits, _null(digits)),
    )
    national = pc.if_else(plain, national, _null(national))
    e164 = pc.binary_join_element_wise(pa.scalar("+7"), national, "")

    leftover = mask(pc.and_(pc.is_null(e164), pc.is_valid(text)))
    if leftover.any():
        distinct = pc.unique(pc.filter(text, leftover))
        parsed = pa.array([phone_as_e164(v) for v in distinct.to_pylist()], pa.string())
        fallback = pc.take(parsed, pc.index_in(text, value_set=distinct))
        e164 = pc.coalesce(e164, fallback)
    bad = mask(pc.and_(pc.is_null(e164), pc.is_valid(text)))
    return e164, bad


def normalise_emails(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    bad = mask(pc.and_(pc.invert(valid_emails(lowered)), pc.is_valid(lowered)))
    return lowered, bad


def normalise_cards(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    digits = pc.replace_substring_regex(pc.utf8_trim_whitespace(text), r"[ \-]", "")
    bad = mask(pc.and_(pc.invert(pc.match_substring_regex(digits, CARD)), pc.is_valid(digits)))
    return digits, bad


def normalise_identities(kinds: pa.Array, values: pa.Array) -> tuple[pa.Array, list[tuple[str, np.ndarray]]]:
    """Each identity normalised by its own kind; one (reason, mask) per kind of failure."""
    result = pc.utf8_trim_whitespace(values)
    failures = []
    for kind, normalise, reason in (
        ("phone", normalise_phones, BAD_PHONE),
        ("email", normalise_emails, BAD_EMAIL),
        ("card", normalise_cards, BAD_CARD),
    ):
        rows = mask(pc.equal(kinds, kind))
        if not rows.any():
            continue
        normalised, bad = normalise(pc.if_else(pa.array(rows), values, _null(values)))
        result = pc.if_else(pa.array(rows), normalised, result)
        failures.append((reason, bad & rows))
    return result, failures
