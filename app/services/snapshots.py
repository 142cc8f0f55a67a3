"""Frozen copies of a version (for comment, the council, submission, publication) and their read-only views."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, select
from sqlmodel import Session, col

from app.domain import redaction
from app.domain.policy import Actor
from app.errors import NotFound
from app.models import Snapshot
from app.services import jsonio

PURPOSE_LABEL = {"public_comment": "意見公募に付した案", "council": "審議会に送付した評価書",
                 "submission": "個人情報保護委員会に提出した評価書", "publication": "公表した評価書"}
# what an empty 公表日 means in each frozen copy (the council reads a draft under review, not a published document)
UNPUBLISHED = {"public_comment": "未公表(意見公募の案)", "council": "未公表(点検中の案)",
               "submission": "未公表(提出した時点)", "publication": "未公表"}
PURPOSE_EDITION = {"public_comment": "draft", "council": "full", "submission": "full", "publication": "public"}


def take(session: Session, *, actor: Actor, version_id: int, purpose: str, today: date) -> Snapshot:
    """Freeze the version now: its lossless JSON and the Word file of the matching edition."""
    edition = PURPOSE_EDITION[purpose]
    data = jsonio.export_version(session, actor=actor, version_id=version_id)
    if redaction.is_public(edition):  # the 意見公募 / 公表 record keeps only what was published
        data = redaction.public_payload(data)
    from app.services import exports  # python-docx: loaded when a document is made, not by every command

    out = exports.export(session, actor=actor, version_id=version_id, edition=edition, today=today)
    snap = Snapshot(version_id=version_id, purpose=purpose, edition=edition, data=data, filename=out.filename,
                    docx=out.content, created_by_id=actor.user_id)
    session.add(snap)
    session.flush()
    return snap


def of_version(session: Session, version_id: int) -> list[Row[int | None, int, str, str, datetime, str]]:
    """The snapshots of a version for a listing: the columns only, not the stored JSON and Word file."""
    # SQLAlchemy's select(): SQLModel's is typed for at most four columns
    query = select(col(Snapshot.id), col(Snapshot.version_id), col(Snapshot.purpose), col(Snapshot.edition),
                   col(Snapshot.created_at), col(Snapshot.filename))
    return list(session.execute(query.where(col(Snapshot.version_id) == version_id)
                                .order_by(col(Snapshot.id))).all())


def get(session: Session, snapshot_id: int) -> Snapshot:
    snap = session.get(Snapshot, snapshot_id)
    if snap is None:
        raise NotFound("保存された評価書が見つかりません。")
    return snap


def view(session: Session, snap: Snapshot) -> dict[str, Any]:
    """What the read-only view of a frozen copy shows: which 評価書 it is (評価書番号, 評価書名, 様式 and its 版, 第n版),
    its 公表日 or why there is none, and the document as blocks."""
    from app.domain.forms import FORM_LABEL
    from app.export import assessment_doc, html
    from app.services import exports

    b = exports.bundle_from_snapshot(session, snap, snap.edition)
    b.unpublished_note = UNPUBLISHED[snap.purpose]
    edition = cast(assessment_doc.Edition, snap.edition)  # take() stores one of PURPOSE_EDITION's editions
    doc = assessment_doc.build(b, edition)
    data = snap.data
    published = data["version"].get("published_on")
    return {"number": data["assessment"].get("number"), "name": assessment_doc.title_of(b, edition),
            "form": FORM_LABEL[data["assessment"]["form"]], "form_label": b.label, "seq": data["version"].get("seq"),
            "jimu": data["jimu"]["name"], "published_on": date.fromisoformat(published) if published else None,
            "unpublished": UNPUBLISHED[snap.purpose], "purpose": PURPOSE_LABEL[snap.purpose],
            "blocks": html.blocks(doc)}
