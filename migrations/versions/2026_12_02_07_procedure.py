"""procedure guards: council review rounds, early close of a public comment

Revision ID: 0007_procedure
Revises: 0005_lifecycle
Create Date: 2026-12-03 06:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0007_procedure'
down_revision = "0006_locks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('publiccomment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('early_close_reason', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('publiccomment', schema=None) as batch_op:
        batch_op.drop_column('early_close_reason')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('round')
