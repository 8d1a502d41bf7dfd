"""Column helpers: closed vocabularies as CHECK-constrained strings, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Enum


def choice(name: str, values: Sequence[str]) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))
