"""loyalty: the till's redemption calls as PostgreSQL functions, one round trip and one statement each

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-22

Each function is a whole till call — partner key check, idempotency key claim, member lock, refusals,
postings, lot draws, stored answer — run as one autocommitted statement, so a call costs one round trip and
one transaction. The rules are the same as the Python services' (``loyalty/programme/redemption.py``),
which SQLite and every Session caller still use; the till tests run both. Refusals are all decided before
the first write, so no savepoint is needed: a business refusal is written under the key, the velocity limit
removes the key (the same call may come back later), and anything unexpected aborts the statement, key
included.

The velocity count uses the existing (card_id, created_at) index and stops at the card's limit.

The SQL is this revision's files in ``loyalty/till/sql`` (``0012_till_functions.sql`` and the drops).
"""

from alembic import op

from lottocrm.loyalty.till.sql import revision_sql

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no stored procedures: there the till runs the Python services statement by statement.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(revision_sql("0012_till_functions.sql"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(revision_sql("0012_drop_till_functions.sql"))
