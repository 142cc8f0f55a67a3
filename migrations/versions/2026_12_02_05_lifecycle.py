"""lifecycle

Revision ID: 0005_lifecycle
Revises: 0004_procedure
Create Date: 2026-12-02 05:48:58.019136
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0005_lifecycle'
down_revision = '0004_procedure'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklistitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_checklistitem_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklistitem'))
    )
    with op.batch_alter_table('checklistitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklistitem_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('annualreview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('findings', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('next_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_annualreview_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['next_version_id'], ['assessmentversion.id'], name=op.f('fk_annualreview_next_version_id_assessmentversion')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['app_user.id'], name=op.f('fk_annualreview_reviewer_id_app_user')),
    sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'], name=op.f('fk_annualreview_version_id_assessmentversion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annualreview'))
    )
    with op.batch_alter_table('annualreview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annualreview_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('changeclass',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('file_uid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_changeclass_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'], name=op.f('fk_changeclass_version_id_assessmentversion')),
    sa.PrimaryKeyConstraint('version_id', 'file_uid', 'item_id', name=op.f('pk_changeclass'))
    )
    op.create_table('unmappedanswer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('file_uid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('old_item_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=40000), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['assessmentversion.id'], name=op.f('fk_unmappedanswer_version_id_assessmentversion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unmappedanswer'))
    )
    with op.batch_alter_table('unmappedanswer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unmappedanswer_version_id'), ['version_id'], unique=False)

    op.create_table('annualreviewcheck',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('file_uid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('measure_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['annualreview.id'], name=op.f('fk_annualreviewcheck_review_id_annualreview')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annualreviewcheck'))
    )
    with op.batch_alter_table('annualreviewcheck', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annualreviewcheck_review_id'), ['review_id'], unique=False)

    with op.batch_alter_table('assessmentversion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('planned_change_on', sa.Date(), nullable=True))

    with op.batch_alter_table('changerow', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('changerow', schema=None) as batch_op:
        batch_op.drop_column('key')

    with op.batch_alter_table('assessmentversion', schema=None) as batch_op:
        batch_op.drop_column('planned_change_on')
        batch_op.drop_column('revision_reason')

    with op.batch_alter_table('annualreviewcheck', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annualreviewcheck_review_id'))

    op.drop_table('annualreviewcheck')
    with op.batch_alter_table('unmappedanswer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unmappedanswer_version_id'))

    op.drop_table('unmappedanswer')
    op.drop_table('changeclass')
    with op.batch_alter_table('annualreview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annualreview_assessment_id'))

    op.drop_table('annualreview')
    with op.batch_alter_table('checklistitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklistitem_organisation_id'))

    op.drop_table('checklistitem')
