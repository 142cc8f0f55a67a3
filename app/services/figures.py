"""Figures (図) for answers of type `figure`: uploads are decoded and re-encoded with Pillow, stored once by content.

Only PNG and JPEG are accepted. Whatever rode along in the file (metadata, EXIF, ICC profiles, text chunks, trailing
bytes, further frames) is dropped: what is stored is a fresh PNG of the pixels, at most MAX_SIDE pixels on its long
side. The sha256 of the stored PNG is its key; answers refer to it.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.errors import ValidationFailed
from app.models import Answer, FigureBlob

MAX_UPLOAD_BYTES = 5 * 1024 * 1024       # the file as uploaded
MAX_PIXELS = 25_000_000                  # decoded size (width x height) accepted at all
MAX_SIDE = 2400                          # longer side as stored (about 300 dpi at A4 page width)
MAX_STORED_BYTES = 8 * 1024 * 1024       # the re-encoded PNG
FORMATS = {"PNG": "PNG", "JPEG": "JPEG"}


@dataclass(frozen=True)
class Clean:
    data: bytes
    width: int
    height: int

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse(message: str, field: str) -> ValidationFailed:
    return ValidationFailed({field: message}, message)


def sanitise(raw: bytes, *, field: str = "figure", max_bytes: int = MAX_UPLOAD_BYTES) -> Clean:
    """Decode `raw` (PNG or JPEG) and re-encode it as a plain PNG; ValidationFailed with a Japanese reason otherwise."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise _refuse("画像ファイルを選択してください。", field)
    if len(raw) > max_bytes:
        raise _refuse(f"画像ファイルが大きすぎます({len(raw) / 1024 / 1024:.1f}MB)。"
                      f"{max_bytes // (1024 * 1024)}MB以下にしてください。", field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(io.BytesIO(raw), formats=tuple(FORMATS))
            width, height = im.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise _refuse(f"画像の画素数が多すぎます({width}×{height})。2,500万画素以下にしてください。", field)
            im.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("PNG または JPEG の画像ファイルを選択してください(ファイルを画像として読めませんでした)。", field) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise _refuse("画像ファイルが壊れているため読み込めませんでした。", field) from None
    if im.format == "JPEG":
        im = ImageOps.exif_transpose(im)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    im = im.convert("RGBA" if has_alpha else "RGB")
    if max(im.size) > MAX_SIDE:
        scale = MAX_SIDE / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=6)
    data = out.getvalue()
    if len(data) > MAX_STORED_BYTES:
        raise _refuse("画像が細かすぎて保存できません。図を縮小するか、色数を減らしてから添付してください。", field)
    return Clean(data, im.width, im.height)


def store(session: Session, clean: Clean) -> FigureBlob:
    """The blob for `clean`, added when new (content-addressed: a second upload of the same picture is the same row)."""
    from sqlalchemy.exc import IntegrityError

    blob = session.get(FigureBlob, clean.sha)
    if blob is not None:
        return blob
    blob = FigureBlob(sha=clean.sha, width=clean.width, height=clean.height, data=clean.data)
    try:
        with session.begin_nested():  # the same picture uploaded at the same moment elsewhere: use that row
            session.add(blob)
    except IntegrityError:
        stored = session.get(FigureBlob, clean.sha)
        if stored is None:  # not the same picture stored concurrently: some other integrity error
            raise
        blob = stored
    return blob


def ingest(session: Session, raw: bytes, *, field: str = "figure") -> FigureBlob:
    return store(session, sanitise(raw, field=field))


def blobs(session: Session, shas: Iterable[object]) -> dict[str, FigureBlob]:
    wanted = sorted({s for s in shas if isinstance(s, str)})
    if not wanted:
        return {}
    return {b.sha: b for b in session.exec(select(FigureBlob).where(col(FigureBlob.sha).in_(wanted))).all()}


def shas_in(value: Any) -> list[str]:
    """The figure keys inside an answer value (a figure list, or group rows holding figure lists)."""
    out: list[str] = []
    if isinstance(value, list):
        for entry in value:
            if isinstance(entry, dict):
                if isinstance(entry.get("sha"), str):
                    out.append(entry["sha"])
                for v in entry.values():
                    if isinstance(v, list):
                        out.extend(shas_in(v))
    return out


def version_uses(session: Session, version_id: int, sha: str) -> bool:
    """Whether an answer of the version shows this figure (the image route serves nothing else)."""
    rows = session.exec(select(Answer.value).where(Answer.version_id == version_id)).all()
    return any(sha in shas_in(v) for v in rows if isinstance(v, list))
