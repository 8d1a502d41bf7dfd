"""The stored search name and the typed search text are folded by one rule (players/names.py)."""

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from lottocrm.players.names import fold_full_names, fold_name

NAME_PART = st.text(alphabet="АБВЁЕЖабвёежИиЙй -", min_size=1, max_size=12).filter(str.strip)


def test_folds_case_yo_and_spaces() -> None:
    assert fold_name("  ФЁДОРОВ   Пётр ") == "федоров петр"


@given(last=NAME_PART, first=NAME_PART, middle=st.none() | NAME_PART)
def test_column_folding_equals_scalar_folding(last: str, first: str, middle: str | None) -> None:
    folded = fold_full_names(pa.array([last]), pa.array([first]), pa.array([middle], pa.string()))
    expected = fold_name(" ".join(part for part in (last, first, middle) if part is not None))
    assert folded.to_pylist() == [expected]
