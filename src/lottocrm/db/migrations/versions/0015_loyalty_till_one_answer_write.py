"""loyalty: till functions write the idempotency row once, with the answer, and answer in the API's JSON

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-23

Migration 0012's functions claimed the idempotency key with an insert at the start and wrote the answer
into that row with an update at the end: two writes, the second usually not a HOT update, so two heap
tuples and two index entries per call. The answer was also written by a SQL-language function holding an
UPDATE, which PostgreSQL 15 parses and plans again at every call (about a tenth of the server's CPU per
call, measured with perf during pgbench).

Here a call first looks the key up, does its work, and stores the answer under the key with one plain
INSERT at its end, in its own transaction. Two calls with the same key that both found it free can only
collide at that insert: the later one fails on ``pk_loyalty_idempotency`` and its statement rolls back with
everything it wrote; the caller (``loyalty/till/procedures.py``) sends it again, and it finds the first
answer. A velocity refusal is still not stored, so the same call may come back later.

The bodies are now written as the Python path's JSONResponse writes them: compact, in the response
model's field order, so a till gets the same bytes from either path (0012's ``json_build_object`` wrote
``"key" : value``), and a velocity refusal no longer tells a count, which these functions stop at the limit.

The SQL is this revision's files in ``loyalty/till/sql``; ``diff`` them with 0012's to read the change.
"""

from alembic import op

from lottocrm.loyalty.till.sql import revision_sql

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no stored procedures: there the till runs the Python services statement by statement.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(revision_sql("0015_till_functions.sql"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Back to migration 0012's functions.
        op.execute(revision_sql("0015_drop_till_functions.sql"))
        op.execute(revision_sql("0012_drop_till_functions.sql"))
        op.execute(revision_sql("0012_till_functions.sql"))
