"""Figures (図) attached to answers: content-addressed PNG images, re-encoded on the way in.

An answer of type `figure` holds [{"id", "sha", "caption"}]; the picture itself lives here once, however many
versions (修正・再実施 copy the answers) or 評価書 refer to it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from app.models.base import created_ts


class FigureBlob(SQLModel, table=True):
    sha: str = Field(primary_key=True, max_length=64)      # sha256 of `data`
    media_type: str = Field(default="image/png", max_length=32)
    width: int
    height: int
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = created_ts()
