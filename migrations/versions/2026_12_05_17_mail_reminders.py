"""Reminder mails (issue 16 §2): users' mail addresses, opt-outs per kind, and what was sent (once per deadline
and threshold)

Revision ID: 0017_mail_reminders
Revises: 0014_review_autosave
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0017_mail_reminders'
down_revision = '0014_review_autosave'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
    op.create_table(
        'mailoptout',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_mailoptout_user_id_app_user'),
        sa.PrimaryKeyConstraint('user_id', 'kind', name='pk_mailoptout'),
    )
    op.create_table(
        'remindersent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('deadline_key', sa.String(length=100), nullable=False),
        sa.Column('threshold', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('what', sa.String(length=300), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name='fk_remindersent_assessment_id_assessment'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_remindersent_user_id_app_user'),
        sa.PrimaryKeyConstraint('id', name='pk_remindersent'),
        sa.UniqueConstraint('user_id', 'deadline_key', 'threshold', name='uq_remindersent_user_id'),
    )
    with op.batch_alter_table('remindersent', schema=None) as batch_op:
        batch_op.create_index('ix_remindersent_assessment_id', ['assessment_id'], unique=False)
        batch_op.create_index('ix_remindersent_user_id', ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remindersent', schema=None) as batch_op:
        batch_op.drop_index('ix_remindersent_user_id')
        batch_op.drop_index('ix_remindersent_assessment_id')
    op.drop_table('remindersent')
    op.drop_table('mailoptout')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
