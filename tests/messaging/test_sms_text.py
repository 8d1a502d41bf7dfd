"""SMS text rules: alphabet, part counts, SMPP payloads, reassembly, the opt-out keywords."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottocrm.messaging.sms_text import (
    DATA_CODING_GSM7,
    DATA_CODING_UCS2,
    ESM_CLASS_UDHI,
    SmsParts,
    SmsTooLong,
    decode_text,
    encoding_of,
    is_stop_request,
    sms_parts,
    split_for_smpp,
    split_udh,
)

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"

gsm_texts = st.text(alphabet=GSM_BASIC + GSM_EXTENSION, max_size=1600)
# Cyrillic, Latin, the extension characters and emoji (outside the BMP: surrogate pairs in UCS-2).
mixed_texts = st.text(
    alphabet=st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВ ,.!" + "abcXYZ€[]" + "😀🎉🍀💰"),
    max_size=700,
)
any_texts = st.text(max_size=700)


def reassemble(text: str) -> str:
    payload = split_for_smpp(text, max_parts=255)
    pieces = []
    for part in payload.parts:
        body = part
        if payload.esm_class & ESM_CLASS_UDHI:
            _, body = split_udh(part)
        pieces.append(decode_text(body, data_coding=payload.data_coding))
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(st.one_of(gsm_texts, mixed_texts, any_texts))
def test_the_part_count_is_what_split_for_smpp_produces_and_the_parts_give_the_text_back(text: str) -> None:
    parts = sms_parts(text)
    payload = split_for_smpp(text, max_parts=255)
    assert parts.parts == len(payload.parts)
    assert reassemble(text) == text
    assert payload.data_coding == (DATA_CODING_GSM7 if parts.encoding == "gsm7" else DATA_CODING_UCS2)
    assert 0 <= parts.chars_left < parts.per_part or (parts.units == 0 and parts.chars_left == parts.per_part)


@settings(max_examples=300, deadline=None)
@given(st.one_of(gsm_texts, mixed_texts))
def test_every_part_fits_one_sms_and_no_character_is_cut_in_two(text: str) -> None:
    payload = split_for_smpp(text, max_parts=255)
    for part in payload.parts:
        if len(payload.parts) > 1:
            assert part[:3] == b"\x05\x00\x03"
            body = part[6:]
        else:
            body = part
        if payload.data_coding == DATA_CODING_GSM7:
            # 6 header bytes are 7 septets on air: 153 + 7 = 160.
            assert len(body) <= (153 if len(payload.parts) > 1 else 160)
            # Each part decodes on its own to whole characters (an escape never ends a part).
            assert decode_text(body, data_coding=DATA_CODING_GSM7) in text
        else:
            assert len(body) <= (134 if len(payload.parts) > 1 else 140)
            assert len(body) % 2 == 0
            if body:
                last_unit = int.from_bytes(body[-2:], "big")
                assert not 0xD800 <= last_unit <= 0xDBFF, "a part ends in the middle of a surrogate pair"


@settings(max_examples=200, deadline=None)
@given(gsm_texts)
def test_gsm_units_count_extension_characters_twice(text: str) -> None:
    parts = sms_parts(text)
    assert parts.encoding == "gsm7"
    assert parts.units == len(text) + sum(text.count(char) for char in GSM_EXTENSION)


@settings(max_examples=200, deadline=None)
@given(mixed_texts.filter(lambda text: encoding_of(text) == "ucs2"))
def test_ucs2_units_are_utf16_code_units(text: str) -> None:
    assert sms_parts(text).units == len(text.encode("utf-16-be")) // 2


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts", "per_part", "chars_left"),
    [
        ("", "gsm7", 0, 1, 160, 160),
        ("a" * 160, "gsm7", 160, 1, 160, 0),
        ("a" * 161, "gsm7", 161, 2, 153, 145),
        ("€" * 80, "gsm7", 160, 1, 160, 0),
        ("€" * 81, "gsm7", 162, 2, 153, 143),
        ("я" * 70, "ucs2", 70, 1, 70, 0),
        ("я" * 71, "ucs2", 71, 2, 67, 63),
        ("Привет, Иван! Ваш выигрыш 500 ₽", "ucs2", 31, 1, 70, 39),
        ("Hi 😀", "ucs2", 5, 1, 70, 65),
        ("😀" * 35, "ucs2", 70, 1, 70, 0),
    ],
)
def test_sms_parts_examples(
    text: str, encoding: str, units: int, parts: int, per_part: int, chars_left: int
) -> None:
    assert sms_parts(text) == SmsParts(
        encoding=encoding, units=units, parts=parts, per_part=per_part, chars_left=chars_left
    )


def test_an_extension_character_that_would_straddle_two_parts_moves_to_the_next() -> None:
    text = "a" * 152 + "€" + "b" * 10
    payload = split_for_smpp(text, reference=9)
    assert [len(part) for part in payload.parts] == [6 + 152, 6 + 2 + 10]
    assert payload.parts[1][6:8] == b"\x1b\x65"
    assert sms_parts(text).parts == 2


def test_an_emoji_that_would_straddle_two_parts_moves_to_the_next() -> None:
    text = "я" * 66 + "😀" + "я" * 10
    payload = split_for_smpp(text, reference=9)
    assert [len(part) for part in payload.parts] == [6 + 66 * 2, 6 + 4 + 20]
    assert payload.parts[1][6:10] == "😀".encode("utf-16-be")


def test_the_concatenation_header_names_the_reference_the_total_and_the_part() -> None:
    payload = split_for_smpp("я" * 150, reference=200)
    assert payload.esm_class == ESM_CLASS_UDHI and payload.reference == 200
    assert [part[:6] for part in payload.parts] == [bytes((5, 0, 3, 200, 3, seq)) for seq in (1, 2, 3)]
    single = split_for_smpp("short")
    assert single.esm_class == 0 and single.reference is None and single.parts == [b"short"]


def test_each_message_takes_the_next_reference() -> None:
    first, second = split_for_smpp("я" * 100), split_for_smpp("я" * 100)
    assert first.reference is not None and second.reference == (first.reference + 1) % 256


def test_gsm7_goes_as_unpacked_septets() -> None:
    payload = split_for_smpp("@£ Hi {x}")
    assert payload.data_coding == DATA_CODING_GSM7
    assert payload.parts == [b"\x00\x01\x20Hi\x20\x1b\x28x\x1b\x29"]


def test_more_parts_than_the_limit_is_refused_with_the_count_and_the_limit() -> None:
    text = "я" * (67 * 10 + 1)
    assert sms_parts(text).parts == 11
    with pytest.raises(SmsTooLong) as refused:
        split_for_smpp(text, max_parts=10)
    assert refused.value.parts == 11 and refused.value.limit == 10
    assert "11 parts" in str(refused.value) and "limit of 10" in str(refused.value)
    assert "UCS-2" in str(refused.value)
    assert len(split_for_smpp(text[:-1], max_parts=10).parts) == 10


def test_emoji_force_ucs2_and_say_so() -> None:
    assert encoding_of("Win big!") == "gsm7"
    assert encoding_of("Win big! 🍀") == "ucs2"
    assert sms_parts("Win big! 🍀").encoding == "ucs2"
    assert encoding_of("Выигрыш") == "ucs2"


def test_decoding_other_codings_never_raises() -> None:
    assert decode_text(b"caf\xe9", data_coding=3) == "café"
    assert decode_text(b"\xff\xfe", data_coding=4) == "\ufffd\ufffd"
    assert decode_text(b"\x04\x1f\x00", data_coding=8).startswith("П")
    assert decode_text(b"\x1b", data_coding=0) == ""


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop! ", "S T O P", "СТОП", "стоп.", "«Стоп»", "ОТПИСКА", "отписка!!!", "Unsubscribe",
     "UNSUBSCRIBE.", "CTOП", "\tstop\n"],
)  # fmt: skip
def test_opt_out_keywords_are_recognised(text: str) -> None:
    assert is_stop_request(text)


@pytest.mark.parametrize(
    "text", ["", "stopping", "stop it", "не стоп", "STOP2", "стоп-кран", "Хочу билет", "1"]
)
def test_other_texts_are_not_opt_outs(text: str) -> None:
    assert not is_stop_request(text)
