"""The yearly 見直し saves each answer as it is chosen: an optimistic-lock counter per question, and who
answered it when (issue 14 item 8)

Revision ID: 0014_review_autosave
Revises: 0012_figures
Create Date: 2026-12-04 14:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0014_review_autosave'
down_revision = '0012_figures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('annualreviewcheck', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('answered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_annualreviewcheck_answered_by_id_app_user', 'app_user',
                                    ['answered_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('annualreviewcheck', schema=None) as batch_op:
        batch_op.drop_constraint('fk_annualreviewcheck_answered_by_id_app_user', type_='foreignkey')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answered_by_id')
        batch_op.drop_column('lock_version')
