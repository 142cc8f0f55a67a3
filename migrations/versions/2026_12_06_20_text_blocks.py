"""共通記載 (shared text blocks): the block, its revisions, its uses in 評価書 versions and the answers to its
proposals (issue 17 §2)

Revision ID: 0020_text_blocks
Revises: 0018_directory
Create Date: 2026-12-06 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0020_text_blocks'
down_revision = '0018_directory'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('textblock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=20000), nullable=False),
    sa.Column('measures', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_textblock_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], name=op.f('fk_textblock_updated_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_textblock')),
    sa.UniqueConstraint('organisation_id', 'title', name=op.f('uq_textblock_organisation_id'))
    )
    with op.batch_alter_table('textblock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_textblock_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('textblockrevision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('block_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=20000), nullable=False),
    sa.Column('measures', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['block_id'], ['textblock.id'], name=op.f('fk_textblockrevision_block_id_textblock')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_textblockrevision_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_textblockrevision')),
    sa.UniqueConstraint('block_id', 'revision', name=op.f('uq_textblockrevision_block_id'))
    )
    with op.batch_alter_table('textblockrevision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_textblockrevision_block_id'), ['block_id'], unique=False)

    op.create_table('textblockdecision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('block_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_textblockdecision_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['block_id'], ['textblock.id'], name=op.f('fk_textblockdecision_block_id_textblock')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_textblockdecision_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_textblockdecision_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'], name=op.f('fk_textblockdecision_version_id_assessmentversion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_textblockdecision')),
    sa.UniqueConstraint('block_id', 'assessment_id', 'revision', name=op.f('uq_textblockdecision_block_id'))
    )
    with op.batch_alter_table('textblockdecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_textblockdecision_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_textblockdecision_block_id'), ['block_id'], unique=False)

    op.create_table('textblockuse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('block_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('file_uid', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('local_text', sa.String(length=40000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_textblockuse_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['block_id'], ['textblock.id'], name=op.f('fk_textblockuse_block_id_textblock')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_textblockuse_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'], name=op.f('fk_textblockuse_version_id_assessmentversion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_textblockuse')),
    sa.UniqueConstraint('version_id', 'file_uid', 'item_id', 'block_id', name=op.f('uq_textblockuse_version_id'))
    )
    with op.batch_alter_table('textblockuse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_textblockuse_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_textblockuse_block_id'), ['block_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_textblockuse_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('textblockuse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_textblockuse_version_id'))
        batch_op.drop_index(batch_op.f('ix_textblockuse_block_id'))
        batch_op.drop_index(batch_op.f('ix_textblockuse_assessment_id'))

    op.drop_table('textblockuse')
    with op.batch_alter_table('textblockdecision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_textblockdecision_block_id'))
        batch_op.drop_index(batch_op.f('ix_textblockdecision_assessment_id'))

    op.drop_table('textblockdecision')
    with op.batch_alter_table('textblockrevision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_textblockrevision_block_id'))

    op.drop_table('textblockrevision')
    with op.batch_alter_table('textblock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_textblock_organisation_id'))

    op.drop_table('textblock')
