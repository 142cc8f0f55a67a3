"""部署 can be renamed and retired by the administrator: an optimistic-lock counter on department (issue 14 item 14)

Revision ID: 0011_screensb
Revises: 0010_measure_print
Create Date: 2026-12-04 02:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0011_screensb'
down_revision = '0010_measure_print'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('lock_version')
