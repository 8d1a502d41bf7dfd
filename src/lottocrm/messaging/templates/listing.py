"""The templates list as the editor's index page shows it: one row per template with its published version,
whether a draft is waiting and when anything last changed, searched by code or name and paged.

One statement per page, whatever the number of templates or versions: the version facts are aggregated in
a subquery grouped by template, not looked up row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion

PER_PAGE = 25
# A search is a few words typed in a box: a longer text is cut rather than sent to the database whole.
MAX_QUERY = 100


@dataclass(frozen=True)
class TemplateRow:
    code: str
    name: str
    message_class: str
    published_number: int | None
    has_draft: bool
    changed_at: dt.datetime


@dataclass(frozen=True)
class TemplatePage:
    rows: list[TemplateRow]
    total: int
    page: int
    more: bool


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def template_page(
    session: Session, *, query: str = "", page: int = 1, per_page: int = PER_PAGE
) -> TemplatePage:
    """Templates whose code or name contains ``query`` (any case), ordered by code, page ``page``."""
    versions = (
        select(
            MessageTemplateVersion.template_id,
            func.max(
                case((MessageTemplateVersion.status == "published", MessageTemplateVersion.number))
            ).label("published_number"),
            func.max(case((MessageTemplateVersion.status == "draft", 1), else_=0)).label("has_draft"),
            func.max(
                func.coalesce(MessageTemplateVersion.published_at, MessageTemplateVersion.created_at)
            ).label("version_changed_at"),
        )
        .group_by(MessageTemplateVersion.template_id)
        .subquery()
    )
    text = " ".join(query.split())[:MAX_QUERY]
    where = []
    if text:
        # SQLite's lower() folds only ASCII letters: the name is also matched as typed in lower case and
        # with a capital first letter, which finds "Приветствие" for "приветствие" on both databases.
        folded = text.lower()
        names = {_like_pattern(variant) for variant in (folded, folded.capitalize())}
        where.append(
            or_(
                func.lower(MessageTemplate.code).like(_like_pattern(folded), escape="\\"),
                func.lower(MessageTemplate.name).like(_like_pattern(folded), escape="\\"),
                *(MessageTemplate.name.like(pattern, escape="\\") for pattern in sorted(names)),
            )
        )
    total = session.scalar(select(func.count()).select_from(MessageTemplate).where(*where)) or 0
    result = session.execute(
        select(
            MessageTemplate.code,
            MessageTemplate.name,
            MessageTemplate.message_class,
            MessageTemplate.created_at,
            versions.c.published_number,
            versions.c.has_draft,
            versions.c.version_changed_at,
        )
        .outerjoin(versions, versions.c.template_id == MessageTemplate.id)
        .where(*where)
        .order_by(MessageTemplate.code)
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    rows = [
        TemplateRow(
            code=row.code,
            name=row.name,
            message_class=row.message_class,
            published_number=row.published_number,
            has_draft=bool(row.has_draft),
            changed_at=max(row.created_at, row.version_changed_at or row.created_at),
        )
        for row in result[:per_page]
    ]
    return TemplatePage(rows=rows, total=total, page=page, more=len(result) > per_page)
