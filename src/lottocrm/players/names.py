"""The searchable form of a player's name, defined once: lower case, ё folded to е, single spaces.

Every writer of ``Player.search_name`` (ingestion, the simulator) and the search box use these two functions,
so a name as typed by the contact centre and a name as stored always compare in the same form.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def fold_name(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def fold_full_names(last: pa.Array, first: pa.Array, middle: pa.Array) -> pa.Array:
    """``fold_name`` of "last first middle" for whole columns; a missing part is skipped."""
    joined = pc.binary_join_element_wise(last, first, middle, " ", null_handling="skip")
    folded = pc.replace_substring(pc.utf8_lower(joined), "ё", "е")
    return pc.replace_substring_regex(pc.utf8_trim_whitespace(folded), r"\s+", " ")
