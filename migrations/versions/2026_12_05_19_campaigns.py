"""一括変更 (change campaigns): the campaign as data, and the link of each 評価書 to the working version it opened
(issue 17 §1)

Revision ID: 0019_campaigns
Revises: 0017_mail_reminders
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0019_campaigns'
down_revision = '0017_mail_reminders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaign',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.String(length=2000), nullable=False),
        sa.Column('planned_on', sa.Date(), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lock_version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name='fk_campaign_created_by_id_app_user'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name='fk_campaign_organisation_id_organisation'),
        sa.PrimaryKeyConstraint('id', name='pk_campaign'),
        sa.UniqueConstraint('organisation_id', 'name', name='uq_campaign_organisation_id'),
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_organisation_id', ['organisation_id'], unique=False)
    op.create_table(
        'campaignlink',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['applied_by_id'], ['app_user.id'], name='fk_campaignlink_applied_by_id_app_user'),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name='fk_campaignlink_assessment_id_assessment'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name='fk_campaignlink_campaign_id_campaign'),
        sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'],
                                name='fk_campaignlink_version_id_assessmentversion'),
        sa.PrimaryKeyConstraint('campaign_id', 'assessment_id', name='pk_campaignlink'),
    )
    with op.batch_alter_table('campaignlink', schema=None) as batch_op:
        batch_op.create_index('ix_campaignlink_version_id', ['version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaignlink', schema=None) as batch_op:
        batch_op.drop_index('ix_campaignlink_version_id')
    op.drop_table('campaignlink')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_organisation_id')
    op.drop_table('campaign')
