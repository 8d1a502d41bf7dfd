"""Import a file of campaign contact and response history: one imported campaign (with one run and its
members) per campaign code, all in the caller's transaction, or nothing.

Every row is read and checked before anything is written — by the import kit of ``lottocrm.ingest`` (types,
phones, e-mails, ranges), then which player it names, then the checks that need the whole file (a player twice
in a campaign, a campaign code imported before) — so a file with any bad row writes nothing, and the report
names each bad row's number, column and reason. The file's content hash is recorded in the import ledger, so
the same file is refused the second time. Like every service this one never commits: the caller does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Conflict, ServiceError
from lottocrm.events.outbox import emit, event_id_for
from lottocrm.ingest.context import CheckContext
from lottocrm.ingest.models import ImportBatch
from lottocrm.ingest.report import ImportReport, ProblemLog
from lottocrm.ingest.sources import RawChunk, Source, SourceError, content_sha256
from lottocrm.ingest.validate import check_batch
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.history.checks import file_findings
from lottocrm.marketing.history.events import CampaignHistoryImported
from lottocrm.marketing.history.players import resolve_players
from lottocrm.marketing.history.spec import KIND, SPEC, WHOLE_CAMPAIGN
from lottocrm.presentation.text import printable
from lottocrm.settings import Settings, get_settings

Progress = Callable[[int, int], None]
INSERT_ROWS = 20_000
_KEPT = (
    "player",
    "campaign_code",
    "campaign_name",
    "arm",
    "sent_at",
    "responded",
    "revenue_kopecks",
    "channel",
    "stratum",
)


class HistoryInputError(ServiceError):
    code, http_status = "campaign_history_invalid", 422


@dataclass(frozen=True)
class ImportedCampaign:
    campaign_id: int
    run_id: int
    code: str
    name: str
    treated: int
    control: int


@dataclass
class HistoryImport:
    report: ImportReport
    campaigns: tuple[ImportedCampaign, ...] = ()


def import_history(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    lake: Lake,
    control_share: float | None = None,
    encoding: str | None = None,
    settings: Settings | None = None,
    on_progress: Progress | None = None,
) -> HistoryImport:
    """Import ``path`` (CSV, plain or gzip, or Parquet). Bad input is refused in the report, never raised,
    and nothing is written then. ``control_share``: the share of each campaign's audience its designers held
    out, when known (the report's sample-ratio check compares the arms with it)."""
    if control_share is not None and not 0 < control_share < 1:
        raise HistoryInputError(
            "the control share is a fraction between 0 and 1, got %(share)s", share=control_share
        )
    settings = settings or get_settings()
    report = ImportReport(kind=KIND, source=printable(str(path), limit=None))
    try:
        source = Source(Path(path), encoding=encoding)
    except SourceError as error:
        report.file_error = str(error)
        return HistoryImport(report)
    report.encoding = source.encoding
    sha256 = content_sha256(Path(path))
    report.batch_id = f"{KIND}-{sha256[:40]}"
    earlier = session.get(ImportBatch, report.batch_id)
    if earlier is not None:
        report.file_error = (
            f"this file was imported before (batch {report.batch_id}, "
            f"{earlier.loaded_at:%Y-%m-%d %H:%M} UTC): "
            "importing it again would duplicate its campaigns"
        )
        return HistoryImport(report)
    if problem := _header_problem(source.header):
        report.file_error = problem
        return HistoryImport(report)
    now = clock.now()
    rows = _read(session, source, report, now=now, settings=settings, lake=lake, on_progress=on_progress)
    if rows is None:
        return HistoryImport(report)
    campaigns = _write(session, rows, actor=actor, report=report, sha256=sha256, now=now, share=control_share)
    report.status = "loaded"
    report.rows_loaded = rows.num_rows
    report.notices.extend(
        f"campaign {c.code} «{c.name}»: {c.treated} treated, {c.control} control → campaign {c.campaign_id}"
        for c in campaigns
    )
    return HistoryImport(report, campaigns)


def _header_problem(header: list[str]) -> str | None:
    missing = [name for name in SPEC.required if name not in header]
    extra = [printable(name, 40) for name in header if name not in SPEC.names][:10]
    if not missing and not extra:
        return None
    parts = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + (
        [f"unexpected column(s): {', '.join(extra)}"] if extra else []
    )
    return (
        f"row 0 (header): {'; '.join(parts)}. A campaign history file has the columns {', '.join(SPEC.names)}"
    )


def _read(
    session: Session,
    source: Source,
    report: ImportReport,
    *,
    now: dt.datetime,
    settings: Settings,
    lake: Lake,
    on_progress: Progress | None,
) -> pa.Table | None:
    """Every row typed, with its player and file row number; None (and the report filled) when any is bad."""
    log = ProblemLog()
    kept: list[pa.Table] = []
    duck = duckdb.connect()
    duck.execute(f"SET TimeZone = '{settings.timezone}'")
    try:
        ctx = CheckContext(now, settings.timezone, session.connection(), lake, duck)
        for chunk in _chunks(source, settings, on_progress):
            for bad in chunk.malformed:
                log.add("*", bad.reason, np.array([bad.row]), [bad.text])
            report.rows_read += chunk.table.num_rows + len(chunk.malformed)
            report.rows_with_problems += len(chunk.malformed)
            if chunk.table.num_rows == 0:
                continue
            checked = check_batch(chunk.table, SPEC, ctx, [])
            players, found = resolve_players(checked.data, ctx)
            findings = [*checked.findings, *(f for f in found if f.rows.any())]
            log.add_findings(findings, chunk.table, chunk.rows)
            bad = checked.bad.copy()
            for finding in found:
                bad |= finding.rows
            report.rows_with_problems += int(bad.sum())
            typed = checked.data.append_column("player", players).append_column("row", pa.array(chunk.rows))
            kept.append(typed.filter(pa.array(~bad)))
    except SourceError as error:
        report.file_error = str(error)
        return None
    finally:
        duck.close()
    if report.rows_read == 0:
        report.file_error = "the file has a header but no data rows"
        return None
    rows = pa.concat_tables(kept) if kept else None
    if rows is not None:
        whole_file = file_findings(rows, _imported_codes(session))
        for finding in whole_file:
            log.add(finding.column, finding.reason, finding.rows, finding.values)
        if whole_file:
            report.rows_with_problems += len(np.unique(np.concatenate([f.rows for f in whole_file])))
    if log:
        report.problems = log.problems
        return None
    assert rows is not None
    return rows.select([*_KEPT, "row"])


def _chunks(source: Source, settings: Settings, on_progress: Progress | None) -> Iterator[RawChunk]:
    for chunk in source.chunks(settings.import_batch_rows):
        yield chunk
        if on_progress:
            on_progress(source.done, source.total)


def _imported_codes(session: Session) -> dict[str, int]:
    """Code → id of every imported campaign (few: one per campaign brought over from elsewhere)."""
    found = session.execute(select(Campaign.id, Campaign.definition).where(Campaign.kind == "imported"))
    return {str(definition.get("code")): campaign for campaign, definition in found if definition.get("code")}


def _write(
    session: Session,
    rows: pa.Table,
    *,
    actor: Actor,
    report: ImportReport,
    sha256: str,
    now: dt.datetime,
    share: float | None,
) -> tuple[ImportedCampaign, ...]:
    batch_id = report.batch_id
    assert batch_id is not None
    # The ledger row first: a second process importing the same file waits on its key, then fails here
    # before writing anything (the caller's transaction is rolled back).
    try:
        with session.begin_nested():
            session.execute(
                insert(ImportBatch.__table__).values(
                    id=batch_id,
                    kind=KIND,
                    content_sha256=sha256,
                    source_name=report.source[-500:],
                    rows_loaded=rows.num_rows,
                    rows_quarantined=0,
                    loaded_at=now,
                )
            )
    except IntegrityError:
        raise Conflict("this file was imported by another process meanwhile; nothing was written") from None
    created = []
    codes = rows["campaign_code"].combine_chunks()
    for code in pc.unique(codes).to_pylist():
        mine = rows.filter(pc.equal(codes, code))
        created.append(
            _write_campaign(session, mine, code=code, actor=actor, batch_id=batch_id, now=now, share=share)
        )
    ids = [c.campaign_id for c in created]
    record(
        session,
        actor=actor,
        action="campaign.history_import",
        detail={
            "batch_id": batch_id,
            "source": report.source[-200:],
            "rows": rows.num_rows,
            "campaigns": ids,
        },
    )
    emit(
        session,
        CampaignHistoryImported(batch_id=batch_id, campaign_ids=ids, members=rows.num_rows),
        event_id=event_id_for(KIND, batch_id),
    )
    return tuple(created)


def _write_campaign(
    session: Session,
    rows: pa.Table,
    *,
    code: str,
    actor: Actor,
    batch_id: str,
    now: dt.datetime,
    share: float | None,
) -> ImportedCampaign:
    name = rows["campaign_name"][0].as_py()
    first, last = (value.as_py() for value in pc.min_max(rows["sent_at"]).values())
    document = {"code": code, "import_batch": batch_id, "control_share": share, "revenue_unit": "kopecks"}
    campaign = Campaign(
        name=name,
        kind="imported",
        status="done",
        segment_id=None,
        definition=document,
        snapshot={"imported": document},
        created_at=now,
        created_by=actor.name,
        ended_at=last,
    )
    session.add(campaign)
    session.flush()
    treated = int(pc.sum(pc.equal(rows["arm"], "treatment")).as_py() or 0)
    run = CampaignRun(
        campaign_id=campaign.id,
        occurrence="imported",
        status="done",
        started_at=first,
        finished_at=last,
        counts={"treatment": treated, "control": rows.num_rows - treated},
    )
    session.add(run)
    session.flush()
    members = rows.select(["player", "arm", "stratum", "channel", "sent_at", "responded", "revenue_kopecks"])
    for start in range(0, members.num_rows, INSERT_ROWS):
        values = [
            {
                "run_id": run.id,
                "player_id": member["player"],
                "arm": member["arm"],
                "variant": None,
                "stratum": member["stratum"] or WHOLE_CAMPAIGN,
                "channel": member["channel"],
                "message_id": None,
                "assigned_at": member["sent_at"],
                "responded": member["responded"],
                "revenue_kopecks": member["revenue_kopecks"],
            }
            for member in members.slice(start, INSERT_ROWS).to_pylist()
        ]
        session.execute(insert(CampaignMember.__table__), values)
    return ImportedCampaign(campaign.id, run.id, code, name, treated, rows.num_rows - treated)
