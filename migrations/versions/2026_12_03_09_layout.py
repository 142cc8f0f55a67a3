"""organisation setting for exported drafts: where the 案 marker is printed (issue 13 item 7)

Revision ID: 0009_layout
Revises: 0008_form_confirmation
Create Date: 2026-12-03 08:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0009_layout'
down_revision = '0008_form_confirmation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_marker', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='name'))


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('draft_marker')
