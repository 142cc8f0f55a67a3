"""form confirmation: an organisation's record that a form version was checked against an official 様式 file

Revision ID: 0008_form_confirmation
Revises: 0007_procedure
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = '0008_form_confirmation'
down_revision = '0007_procedure'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'formconfirmation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('form', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('definition_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.Column('checked_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_formconfirmation_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_formconfirmation_recorded_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_formconfirmation')),
    )
    with op.batch_alter_table('formconfirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_formconfirmation_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('formconfirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_formconfirmation_organisation_id'))
    op.drop_table('formconfirmation')
