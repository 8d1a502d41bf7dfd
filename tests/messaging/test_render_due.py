"""Rendering at dispatch, in small: a text the dispatcher does not measure is within the SMS part limit, and
why a render failed reads in Russian."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lottocrm.contact_policy.explain import sentence
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.render_due import WHY, _surely_fits
from lottocrm.messaging.sms_text import sms_parts
from lottocrm.web.i18n import translations

# GSM-7 letters, its escaped characters (two septets each), Cyrillic (UCS-2) and emoji (surrogate pairs).
ALPHABETS = st.sampled_from(["abcXYZ 019.,", "{}[]~^|€\\", "абвгдЖЩЁё ", "😀🎉🍀"])


@given(
    st.lists(ALPHABETS.flatmap(lambda a: st.text(alphabet=a, max_size=400)), max_size=4), st.integers(1, 12)
)
def test_a_text_taken_as_fitting_fits(pieces: list[str], max_parts: int) -> None:
    text = "".join(pieces)
    if _surely_fits(text, max_parts):
        assert sms_parts(text).parts <= max_parts


def test_why_a_render_failed_reads_in_russian() -> None:
    russian = translations("ru")
    said = sentence(Reason.of("render_failed", why=WHY["sms_too_long"], parts=3, limit=2))
    assert russian.gettext(said.msgid) == "текст не составлен: %(why)s"
    assert all(russian.gettext(why) != why for why in WHY.values())
