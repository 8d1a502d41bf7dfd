"""What counts as a valid phone and e-mail, defined once for every way contacts come in.

The web form and the services check one value at a time, ingestion whole columns; both use these rules, so
an address accepted by one path is never refused by another. The e-mail rule is an RE2 pattern (Unicode
letters for internationalised addresses), applied through Arrow so single values and columns match alike.
"""

from __future__ import annotations

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

PHONE_REGION = "RU"
EMAIL_PATTERN = r"^[\p{L}0-9._%+'-]+@[\p{L}0-9-]+(\.[\p{L}0-9-]+)*\.[\p{L}]{2,}$"


def phone_as_e164(value: str) -> str | None:
    """E.164 form of a phone written any common way (read as Russian), or None if it is not a valid number."""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_emails(lowered: pa.Array) -> pa.Array:
    """True where a lower-cased, trimmed value is an e-mail address (no empty labels, no '..')."""
    return pc.and_(
        pc.match_substring_regex(lowered, EMAIL_PATTERN), pc.invert(pc.match_substring(lowered, ".."))
    )


def is_valid_email(lowered: str) -> bool:
    return bool(valid_emails(pa.array([lowered], pa.string()))[0].as_py())
