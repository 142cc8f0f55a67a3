"""organisation print settings for risk measures: 対象別の見出し and 措置の番号付け (issue 13 item 1)

Revision ID: 0010_measure_print
Revises: 0009_layout
Create Date: 2026-12-04 02:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0010_measure_print'
down_revision = '0009_layout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measure_headings', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('measure_numbering', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='dot'))


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('measure_numbering')
        batch_op.drop_column('measure_headings')
