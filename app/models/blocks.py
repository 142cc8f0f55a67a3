"""共通記載 (shared text blocks): the block, its revisions, every use in a 評価書 version, and the answer to each
proposal (accepted into a campaign, or kept)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_ts, json_field


class TextBlock(SQLModel, table=True):
    """A text (for text / longtext items) or measures by audience (for measures items), maintained once."""

    __table_args__ = (UniqueConstraint("organisation_id", "title"),)
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=200)
    kind: str = Field(default="text", max_length=10)  # text | measures
    text: str = Field(default="", max_length=20000)
    measures: Any = json_field(default_factory=dict)  # {audience: [{"id": entry id, "text": str}]}
    note: str = Field(default="", max_length=2000)  # what it is, who maintains it
    revision: int = Field(default=1)
    active: bool = Field(default=True)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lock_version: int = Field(default=1)


class TextBlockRevision(SQLModel, table=True):
    """The block as it read at each revision (append-only: the history, and the base of each use)."""

    __table_args__ = (UniqueConstraint("block_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    block_id: int = Field(foreign_key="textblock.id", index=True)
    revision: int
    title: str = Field(max_length=200)
    text: str = Field(default="", max_length=20000)
    measures: Any = json_field(default_factory=dict)
    reason: str = Field(default="", max_length=2000)  # 変更の理由 (named in the 変更箇所 of the 評価書 that accept it)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class TextBlockUse(SQLModel, table=True):
    """A block placed into one item (of one file) of one version; copied to the next version by 改訂."""

    __table_args__ = (UniqueConstraint("version_id", "file_uid", "item_id", "block_id"),)
    id: int | None = Field(default=None, primary_key=True)
    block_id: int = Field(foreign_key="textblock.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    version_id: int = Field(foreign_key="assessmentversion.id", index=True)
    file_uid: str = Field(default="", max_length=32)
    item_id: str = Field(max_length=100)
    level: str = Field(max_length=10)  # fixed | adjustable | reference
    revision: int  # the block revision this use holds
    entries: Any = json_field(default_factory=dict)  # measures: {block entry id: measure id in the answer}
    local_text: str = Field(default="", max_length=40000)  # 調整可: what the item holds now (block text + local edits)
    created_at: datetime = created_ts()
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class TextBlockDecision(SQLModel, table=True):
    """The answer to a block's proposal for one 評価書 at one revision: accepted (with its campaign) or kept."""

    __table_args__ = (UniqueConstraint("block_id", "assessment_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    block_id: int = Field(foreign_key="textblock.id", index=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    revision: int
    decision: str = Field(max_length=10)  # accepted | kept
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    version_id: int | None = Field(default=None, foreign_key="assessmentversion.id")  # where it was applied
    note: str = Field(default="", max_length=1000)
    decided_at: datetime = created_ts()
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
