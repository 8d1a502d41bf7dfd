"""SMS text rules: which alphabet a text needs, how many parts it takes, the SMPP payload of each part, and
whether a player's reply asks us to stop.

Pure functions, shared by the template editor (length and part count before sending), the SMPP transport
(the payloads) and the local SMSC (decoding what it receives).

GSM 03.38: a text written only in the default alphabet goes as GSM-7 septets (160 in one SMS, 153 per part
of a concatenated one, the rest of the 140 bytes being the 6-byte concatenation header); the characters of
the extension table take two septets (an escape and the character). Anything else (Cyrillic, emoji) makes
the whole text UCS-2: 70 UTF-16 code units in one SMS, 67 per part; a character outside the BMP (most
emoji) is a surrogate pair, two units. A part never ends between the two septets of an extension character
or the two halves of a surrogate pair: the handset would show garbage.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["gsm7", "ucs2"]

DEFAULT_MAX_PARTS = 10
# The 8-bit reference of the concatenation header cannot count further.
MAX_PARTS_POSSIBLE = 255

DATA_CODING_GSM7 = 0x00
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08
ESM_CLASS_UDHI = 0x40

_SINGLE = {"gsm7": 160, "ucs2": 70}
_PER_PART = {"gsm7": 153, "ucs2": 67}

# GSM 03.38 default alphabet, in code order 0x00–0x7F (0x1B is the escape to the extension table).
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
                  "|": 0x40, "€": 0x65}  # fmt: skip
_ESCAPE = 0x1B
_GSM_CODE = {char: code for code, char in enumerate(_GSM_BASIC) if code != _ESCAPE}
_GSM_CHAR = {code: char for char, code in _GSM_CODE.items()}
_GSM_EXTENSION_CHAR = {code: char for char, code in _GSM_EXTENSION.items()}


class SmsTooLong(ValueError):
    """A text that would take more parts than the operator allows (``LOTTOCRM_SMS_MAX_PARTS``)."""

    def __init__(self, *, parts: int, limit: int, encoding: Encoding) -> None:
        super().__init__(
            f"the SMS would take {parts} parts ({encoding.upper()}), more than the limit of {limit}; "
            "shorten the text"
            + (" or remove the characters that force UCS-2 (Cyrillic, emoji)" if encoding == "ucs2" else "")
        )
        self.parts = parts
        self.limit = limit
        self.encoding = encoding


@dataclass(frozen=True)
class SmsParts:
    """What a text costs: its alphabet, its length in that alphabet's units, the parts it takes, how many
    units fit in each part, and how many more units fit before another part is needed."""

    encoding: Encoding
    units: int
    parts: int
    per_part: int
    chars_left: int


@dataclass(frozen=True)
class SmppPayload:
    """What goes into the ``submit_sm`` PDUs of one message: one ``short_message`` per part."""

    data_coding: int
    esm_class: int
    parts: list[bytes]
    reference: int | None


def encoding_of(text: str) -> Encoding:
    """``"gsm7"`` when every character is in the GSM 03.38 alphabet or its extension, else ``"ucs2"``."""
    for char in text:
        if char not in _GSM_CODE and char not in _GSM_EXTENSION:
            return "ucs2"
    return "gsm7"


def _units(text: str, encoding: Encoding) -> list[bytes]:
    """The text as indivisible units: a septet or an escaped pair (GSM-7), a code unit or a surrogate
    pair (UCS-2)."""
    if encoding == "gsm7":
        return [
            bytes((_GSM_CODE[char],)) if char in _GSM_CODE else bytes((_ESCAPE, _GSM_EXTENSION[char]))
            for char in text
        ]
    return [char.encode("utf-16-be", "surrogatepass") for char in text]


def _unit_size(encoding: Encoding) -> int:
    # One septet is one byte in the unpacked form; one UCS-2 code unit is two.
    return 1 if encoding == "gsm7" else 2


def _pack(units: list[bytes], capacity: int) -> list[bytes]:
    """Fill parts of ``capacity`` bytes in order, moving a unit that does not fit whole to the next part."""
    parts: list[bytes] = []
    current = bytearray()
    for unit in units:
        if len(current) + len(unit) > capacity:
            parts.append(bytes(current))
            current = bytearray()
        current += unit
    parts.append(bytes(current))
    return parts


def _split(text: str) -> tuple[Encoding, list[bytes]]:
    encoding = encoding_of(text)
    units = _units(text, encoding)
    size = _unit_size(encoding)
    whole = b"".join(units)
    if len(whole) <= _SINGLE[encoding] * size:
        return encoding, [whole]
    return encoding, _pack(units, _PER_PART[encoding] * size)


def sms_parts(text: str) -> SmsParts:
    """The cost of ``text`` as an SMS. An empty text is one (empty) part. A text over the part limit is
    still measured, so an editor can say by how much it is over."""
    encoding, parts = _split(text)
    size = _unit_size(encoding)
    units = sum(len(part) for part in parts) // size
    per_part = _SINGLE[encoding] if len(parts) == 1 else _PER_PART[encoding]
    return SmsParts(
        encoding=encoding,
        units=units,
        parts=len(parts),
        per_part=per_part,
        chars_left=per_part - len(parts[-1]) // size,
    )


_references = itertools.cycle(range(256))


def split_for_smpp(
    text: str, *, max_parts: int = DEFAULT_MAX_PARTS, reference: int | None = None
) -> SmppPayload:
    """The ``short_message`` of each ``submit_sm`` for ``text``: unpacked GSM-7 septets (data_coding 0) or
    UCS-2 big-endian (data_coding 8), each part after a 6-byte concatenation header (esm_class UDHI) when
    there is more than one. ``reference`` ties the parts together at the handset; by default each call
    takes the next number (mod 256). Raises :class:`SmsTooLong` above ``max_parts``."""
    if not 1 <= max_parts <= MAX_PARTS_POSSIBLE:
        raise ValueError(f"max_parts must be between 1 and {MAX_PARTS_POSSIBLE}, got {max_parts}")
    encoding, parts = _split(text)
    if len(parts) > max_parts:
        raise SmsTooLong(parts=len(parts), limit=max_parts, encoding=encoding)
    data_coding = DATA_CODING_GSM7 if encoding == "gsm7" else DATA_CODING_UCS2
    if len(parts) == 1:
        return SmppPayload(data_coding=data_coding, esm_class=0, parts=parts, reference=None)
    ref = next(_references) if reference is None else reference
    if not 0 <= ref <= 255:
        raise ValueError(f"a concatenation reference is one byte (0–255), got {ref}")
    total = len(parts)
    return SmppPayload(
        data_coding=data_coding,
        esm_class=ESM_CLASS_UDHI,
        parts=[bytes((0x05, 0x00, 0x03, ref, total, seq)) + part for seq, part in enumerate(parts, start=1)],
        reference=ref,
    )


@dataclass(frozen=True)
class Concatenation:
    """Where a received part belongs: message ``reference``, part ``seq`` of ``total``."""

    reference: int
    total: int
    seq: int


def split_udh(short_message: bytes) -> tuple[Concatenation | None, bytes]:
    """Separate a part's user data header (present when esm_class has UDHI) from its text bytes; the
    concatenation information element (8- or 16-bit reference) is returned when there is one."""
    if not short_message:
        return None, short_message
    header_length = short_message[0]
    header, body = short_message[1 : 1 + header_length], short_message[1 + header_length :]
    position = 0
    while position + 2 <= len(header):
        element, length = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + length]
        if element == 0x00 and length == 3:
            return Concatenation(reference=value[0], total=value[1], seq=value[2]), body
        if element == 0x08 and length == 4:
            return Concatenation(
                reference=int.from_bytes(value[:2], "big"), total=value[2], seq=value[3]
            ), body
        position += 2 + length
    return None, body


def decode_text(payload: bytes, *, data_coding: int) -> str:
    """The text of a part's bytes (without its header): unpacked GSM-7, Latin-1 or UCS-2. Any other
    coding is read as UTF-8 with replacement characters, so a strange SMSC cannot crash the reader."""
    coding = data_coding & 0x0F if data_coding & 0xF0 == 0xF0 else data_coding
    if coding == DATA_CODING_GSM7:
        return _decode_gsm7(payload)
    if coding == DATA_CODING_UCS2:
        return payload.decode("utf-16-be", "surrogatepass" if len(payload) % 2 == 0 else "replace")
    if coding == DATA_CODING_LATIN1:
        return payload.decode("latin-1")
    return payload.decode("utf-8", "replace")


def _decode_gsm7(payload: bytes) -> str:
    chars: list[str] = []
    escaped = False
    for code in payload:
        if escaped:
            # An escape before a code with no extension character shows the basic one (GSM 03.38 6.2.1.1).
            chars.append(_GSM_EXTENSION_CHAR.get(code, _GSM_CHAR.get(code, "?")))
            escaped = False
        elif code == _ESCAPE:
            escaped = True
        else:
            chars.append(_GSM_CHAR.get(code, "?"))
    return "".join(chars)


# What a player writes to withdraw consent. Compared after case folding, with spaces and punctuation
# removed, so "Stop!", " с т о п " and "«ОТПИСКА»." all count.
STOP_KEYWORDS = frozenset({"stop", "стоп", "отписка", "unsubscribe"})
# A phone's keyboard layout mixes alphabets: "CTOП" typed with a Latin C, T and O still means стоп.
_LATIN_LOOKALIKES = str.maketrans("acehkmoptxy", "асенкмортху")


def is_stop_request(text: str) -> bool:
    """Whether an SMS from a player is an opt-out keyword (STOP, СТОП, ОТПИСКА, UNSUBSCRIBE)."""
    letters = "".join(
        char
        for char in unicodedata.normalize("NFKC", text).casefold()
        if unicodedata.category(char)[0] in "LN"
    )
    return letters in STOP_KEYWORDS or letters.translate(_LATIN_LOOKALIKES) in STOP_KEYWORDS
