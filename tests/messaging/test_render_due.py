"""The dispatcher's shortcut around measuring an SMS: a text it does not measure is within the part limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lottocrm.messaging.render_due import _surely_fits
from lottocrm.messaging.sms_text import sms_parts

# GSM-7 letters, its escaped characters (two septets each), Cyrillic (UCS-2) and emoji (surrogate pairs).
ALPHABETS = st.sampled_from(["abcXYZ 019.,", "{}[]~^|€\\", "абвгдЖЩЁё ", "😀🎉🍀"])


@given(
    st.lists(ALPHABETS.flatmap(lambda a: st.text(alphabet=a, max_size=400)), max_size=4), st.integers(1, 12)
)
def test_a_text_taken_as_fitting_fits(pieces: list[str], max_parts: int) -> None:
    text = "".join(pieces)
    if _surely_fits(text, max_parts):
        assert sms_parts(text).parts <= max_parts
