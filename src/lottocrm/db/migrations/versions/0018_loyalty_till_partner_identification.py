"""loyalty: till functions answer another partner's hold as no hold, and authorize by card only

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-10

Two findings of an outside review (#12 item 7), kept in step with ``loyalty/programme``:

- A capture, void or refund of a hold another partner authorized answered 403 ``partner_not_allowed``, and
  one of a hold that does not exist 404 ``hold_not_found``: a partner could tell which ids exist.
  ``loyalty_till_locked_hold`` now answers both 404 ``hold_not_found`` with the same words.
- Points are no longer spent by phone alone: the API refuses it before calling (``phone_needs_code``), so
  ``loyalty_till_authorize`` loses its phone parameter and looks members up by card number only. A new
  signature, so the function is dropped and created rather than replaced.

The SQL is this revision's files in ``loyalty/till/sql``; ``diff`` them with 0015's to read the change.
"""

from alembic import op

from lottocrm.loyalty.till.sql import revision_sql

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no stored procedures: there the till runs the Python services statement by statement.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(revision_sql("0018_till_functions.sql"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # 0015's functions, rebuilt as that revision built them: from 0012's, with its own files, so no
        # released SQL is restated here.
        op.execute(revision_sql("0018_drop_till_functions.sql"))
        op.execute(revision_sql("0015_drop_till_functions.sql"))
        op.execute(revision_sql("0012_drop_till_functions.sql"))
        op.execute(revision_sql("0012_till_functions.sql"))
        op.execute(revision_sql("0015_till_functions.sql"))
