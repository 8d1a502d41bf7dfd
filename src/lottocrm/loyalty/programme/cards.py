"""Card numbers with a Luhn check digit, and the barcode and QR images a phone wallet shows at the till.

Both images encode the bare card number, so any till scanner that reads Code 128 or QR reads our cards, and a
mistyped number fails its check digit before it reaches the database.
"""

from __future__ import annotations

import io
import random
import secrets

import barcode
import segno
from barcode.writer import ImageWriter

# "7" is the ISO/IEC 7812 industry digit for petroleum and "other" private-label cards; "789" is our issuer.
ISSUER_PREFIX = "7789"
CARD_DIGITS = 16


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) == CARD_DIGITS
        and number.isascii()  # isdigit() alone takes "¹" and "٣", which the check digit cannot be read from
        and number.isdigit()
        and number.startswith(ISSUER_PREFIX)
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def new_card_number(rng: random.Random | None = None) -> str:
    """A random card number; pass ``rng`` for a reproducible one (the simulator does)."""
    body_digits = CARD_DIGITS - len(ISSUER_PREFIX) - 1
    body = (
        f"{rng.randrange(10**body_digits):0{body_digits}d}"
        if rng is not None
        else "".join(secrets.choice("0123456789") for _ in range(body_digits))
    )
    payload = ISSUER_PREFIX + body
    return payload + luhn_check_digit(payload)


def card_number_from_scan(scanned: str) -> str:
    """What a scanner hands the till, reduced to a card number: spaces and dashes dropped."""
    return "".join(char for char in scanned.strip() if char not in " -")


def barcode_png(number: str) -> bytes:
    code = barcode.get("code128", number, writer=ImageWriter())
    out = io.BytesIO()
    code.write(out, options={"module_height": 12.0, "quiet_zone": 4.0, "font_size": 8})
    return out.getvalue()


def qr_png(number: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(number, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def barcode_svg(number: str) -> bytes:
    out = io.BytesIO()
    barcode.get("code128", number).write(out)
    return out.getvalue()
