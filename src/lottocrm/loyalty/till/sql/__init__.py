"""The PL/pgSQL of the till's redemption functions, one file per migration that creates or drops them.

A file is named after its revision and belongs to it: once released it is never edited. A change to the
functions is a new migration with new files, so a review reads ``diff 0012_till_functions.sql
0015_till_functions.sql`` instead of a migration restating 400 lines of SQL in a Python string.
"""

from __future__ import annotations

from importlib.resources import files


def revision_sql(name: str) -> str:
    """The text of ``name`` (e.g. ``"0015_till_functions.sql"``), exactly as the file holds it."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
