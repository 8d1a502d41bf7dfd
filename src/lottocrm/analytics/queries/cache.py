"""The one report cache: ``report_cache`` rows keyed by the query document and its sources' versions.

A lookup matches both keys, so a result computed on older sources is never returned: it is a miss. Results
travel as Arrow IPC streams, which keep column types and schema metadata exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Connection, delete, select, tuple_
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.queries.base import ReportQuery, Source
from lottocrm.analytics.queries.models import ReportCacheEntry


@dataclass(frozen=True)
class CacheKey:
    query: str
    inputs: str


def _digest(document: object) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def cache_key(query: ReportQuery, versions: Mapping[Source, str]) -> CacheKey:
    """The document with its definition version, and the versions of exactly the sources it reads."""
    document = {"definition": type(query).definition, **query.model_dump(mode="json")}
    inputs = {source.value: versions[source] for source in sorted(query.sources)}
    return CacheKey(query=_digest(document), inputs=_digest(inputs))


def _encode(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def lookup(connection: Connection, keys: Sequence[CacheKey]) -> dict[CacheKey, pa.Table]:
    """The stored results among ``keys``, in one query."""
    if not keys:
        return {}
    rows = connection.execute(
        select(ReportCacheEntry.query_key, ReportCacheEntry.input_key, ReportCacheEntry.result).where(
            tuple_(ReportCacheEntry.query_key, ReportCacheEntry.input_key).in_(
                [(key.query, key.inputs) for key in keys]
            )
        )
    ).all()
    return {CacheKey(query, inputs): _decode(result) for query, inputs, result in rows}


def store(session: Session, *, kind: str, key: CacheKey, table: pa.Table) -> None:
    """Keep ``table`` under ``key``, replacing the document's older result and dropping the kind's results
    computed on other versions. The caller commits."""
    entries = ReportCacheEntry.__table__
    session.execute(
        delete(entries).where(
            (entries.c.query_key == key.query)
            | ((entries.c.kind == kind) & (entries.c.input_key != key.inputs))
        )
    )
    session.add(
        ReportCacheEntry(
            query_key=key.query,
            kind=kind,
            input_key=key.inputs,
            computed_at=clock.now(),
            result=_encode(table),
        )
    )
