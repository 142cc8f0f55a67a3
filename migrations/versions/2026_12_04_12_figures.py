"""figures: content-addressed images for answers of type `figure` ((別添1) 事務の内容の図)

The (別添1) item `annex1.diagram` was a text reference (「別添1 事務の内容(図)を参照」) and is now a figure: the old
text answers carried no picture: in versions that can still be edited they are removed (the item then shows as not
yet answered); frozen versions (提出済・公表済) keep their text, which still prints as it was.

Revision ID: 0012_figures
Revises: 0011_screensb
Create Date: 2026-12-04 06:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012_figures'
down_revision = '0011_screensb'
branch_labels = None
depends_on = None

FIGURE_ITEMS = ("annex1.diagram",)
EDITABLE = ("draft", "public_comment", "comment_revision", "third_party_review", "review_revision", "ppc_approval")


def upgrade() -> None:
    op.create_table(
        'figureblob',
        sa.Column('sha', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=32), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha'),
    )
    answer = sa.table('answer', sa.column('id', sa.Integer), sa.column('version_id', sa.Integer),
                      sa.column('item_id', sa.String), sa.column('value', sa.JSON))
    version = sa.table('assessmentversion', sa.column('id', sa.Integer), sa.column('stage', sa.String),
                       sa.column('frozen', sa.Boolean))
    conn = op.get_bind()
    rows = conn.execute(sa.select(answer.c.id, answer.c.value).join(version, version.c.id == answer.c.version_id)
                        .where(answer.c.item_id.in_(FIGURE_ITEMS), version.c.frozen.is_(False),
                               version.c.stage.in_(EDITABLE))).all()
    stale = [r.id for r in rows if not isinstance(r.value, list)]
    if stale:
        conn.execute(sa.delete(answer).where(answer.c.id.in_(stale)))


def downgrade() -> None:
    op.drop_table('figureblob')
