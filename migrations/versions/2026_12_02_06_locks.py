"""locks: version counters for every optimistic-locked row and partial unique indexes for "one open X per Y"

Revision ID: 0006_locks
Revises: 0005_lifecycle
Create Date: 2026-12-03 06:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006_locks'
down_revision = '0005_lifecycle'
branch_labels = None
depends_on = None

COUNTERS = ("app_user", "librarymeasure", "checklistitem", "council", "improvementaction")

# (index, table, columns, WHERE clause or None)
ONE_OPEN = (
    ("ux_assessmentversion_working", "assessmentversion", ["assessment_id"], "stage <> 'published'"),
    ("ux_annualreview_open", "annualreview", ["assessment_id"], "completed_on IS NULL"),
    ("ux_publiccomment_open", "publiccomment", ["version_id"], "closed_on IS NULL"),
    ("ux_review_open", "review", ["version_id"], "closed_on IS NULL"),
    ("ux_approval_version", "approval", ["version_id"], None),
    ("ux_improvementaction_open", "improvementaction", ["assessment_id", "file_uid", "item_id"], "status = 'open'"),
)


def _settle_duplicates() -> None:
    """Rows a double submit left behind before the indexes existed: keep the first, close the later ones."""
    conn = op.get_bind()
    # a later duplicate open 見直し: nothing answered -> removed; answered -> closed on its start date
    dup_reviews = conn.execute(sa.text(
        "SELECT r.id FROM annualreview r WHERE r.completed_on IS NULL AND EXISTS (SELECT 1 FROM annualreview o "
        "WHERE o.assessment_id = r.assessment_id AND o.completed_on IS NULL AND o.id < r.id)")).scalars().all()
    for rid in dup_reviews:
        answered = conn.execute(sa.text("SELECT COUNT(*) FROM annualreviewcheck WHERE review_id = :r AND status <> ''"),
                                {"r": rid}).scalar_one()
        if answered:
            conn.execute(sa.text("UPDATE annualreview SET completed_on = started_on, findings = :f WHERE id = :r"),
                         {"r": rid, "f": "重複して開始された見直しのため、移行時に終了しました。"})
        else:
            conn.execute(sa.text("DELETE FROM annualreviewcheck WHERE review_id = :r"), {"r": rid})
            conn.execute(sa.text("DELETE FROM annualreview WHERE id = :r"), {"r": rid})
    conn.execute(sa.text(
        "UPDATE improvementaction SET status = 'closed', closed_on = CURRENT_DATE, close_note = :n "
        "WHERE status = 'open' AND EXISTS (SELECT 1 FROM improvementaction o WHERE o.assessment_id = "
        "improvementaction.assessment_id AND o.file_uid = improvementaction.file_uid AND o.item_id = "
        "improvementaction.item_id AND o.status = 'open' AND o.id > improvementaction.id)"),
        {"n": "同じ項目の改善策が重複していたため、移行時に新しい方へまとめました。"})
    for table in ("publiccomment", "review"):
        conn.execute(sa.text(
            f"UPDATE {table} SET closed_on = CURRENT_DATE WHERE closed_on IS NULL AND EXISTS (SELECT 1 FROM {table} o "
            f"WHERE o.version_id = {table}.version_id AND o.closed_on IS NULL AND o.id > {table}.id)"))


def upgrade() -> None:
    for table in COUNTERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('lock_version', server_default=None)
    _settle_duplicates()
    for name, table, cols, where in ONE_OPEN:
        kw = {} if where is None else {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, cols, unique=True, **kw)


def downgrade() -> None:
    for name, table, _cols, _where in reversed(ONE_OPEN):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    for table in reversed(COUNTERS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('lock_version')
