"""Sign in with the city's directory (issue 16 §1): users carry their source (local | ldap); directory groups
map to a role and/or a department

Revision ID: 0018_directory
Revises: 0019_campaigns
Create Date: 2026-12-05 18:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0018_directory'
down_revision = '0019_campaigns'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_source', sa.String(length=10), nullable=False, server_default='local'))
    op.create_table(
        'directorygroup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('group_dn', sa.String(length=500), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'group_dn'),
    )
    with op.batch_alter_table('directorygroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directorygroup_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('directorygroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directorygroup_organisation_id'))
    op.drop_table('directorygroup')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('auth_source')
