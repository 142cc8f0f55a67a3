"""Several 評価実施機関 on one server (issue 16 §3): each audit row names the actor's body, so that each body's
/audit shows its own. Existing rows keep NULL (the log is append-only: history is not rewritten); they are
shown while the server holds a single body. The system administrator is the role string `sysadmin`.

Revision ID: 0021_orgs
Revises: 0020_text_blocks
Create Date: 2026-12-06 09:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0021_orgs'
down_revision = '0020_text_blocks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no batch copy): on SQLite a table copy would drop the append-only triggers
    op.add_column('auditlog', sa.Column('organisation_id', sa.Integer(), nullable=True))
    op.create_index('ix_auditlog_organisation_id', 'auditlog', ['organisation_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_auditlog_organisation_id', table_name='auditlog')
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_column('organisation_id')
    if op.get_bind().dialect.name == 'sqlite':  # the batch copy dropped the append-only triggers
        for verb in ('update', 'delete'):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS auditlog_no_{verb} BEFORE {verb.upper()} ON auditlog "
                       "BEGIN SELECT RAISE(ABORT, 'auditlog is append-only'); END")
