"""Checking a form version against an official 様式 file, and an organisation's record of that check.

`confirmation(session, organisation_id, definition)` is what other screens ask ("has this organisation checked
this 様式 version, and is the check still valid?"): the record only when its digest equals the definition's now.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.domain.forms import FORM_LABEL, Definition
from app.domain.formverify import Result, definition_digest, verify
from app.domain.policy import Actor
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import FormConfirmation
from app.services import audit
from app.services.catalogue import catalogue
from app.services.formfiles import read_rows

CHECKERS = ("admin", "records")


@dataclass
class FileCheck:
    definition: Definition
    file_name: str
    file_sha256: str
    result: Result

    @property
    def digest(self) -> str:
        return definition_digest(self.definition)


def can_check(actor: Actor) -> bool:
    return actor.role in CHECKERS


def resolve(form_version: str, base: Path | None = None) -> Definition:
    """full/r06-10 → the loaded definition (NotFound with the known versions in Japanese)."""
    form, _, version = form_version.strip().partition("/")
    try:
        return catalogue(base).get(form, version)
    except KeyError:
        known = "、".join(d.key for d in catalogue(base).all())
        raise NotFound(f"様式の版 {form_version!r} はありません(あるもの: {known})。") from None


def check_file(definition: Definition, *, file_name: str, data: bytes, max_bytes: int | None = None) -> FileCheck:
    """Read the file (FormFileError for a bad one) and align it with the definition."""
    rows = read_rows(file_name, data, **({"max_bytes": max_bytes} if max_bytes else {}))
    return FileCheck(definition=definition, file_name=Path(file_name).name, result=verify(definition, rows),
                     file_sha256=hashlib.sha256(data).hexdigest())


def record_confirmation(session: Session, *, actor: Actor, definition: Definition, digest: str, file_name: str,
                        file_sha256: str, checked_on: str, checked_by: str, today: date) -> FormConfirmation:
    """Record 「この様式の版を <file> で <date> に <name> が照合した」 for the actor's organisation (audited).

    `digest` is the definition digest the check was made against: a definition changed since then is refused.
    """
    if not can_check(actor) or actor.organisation_id is None:  # an admin or records clerk always has a body
        raise Forbidden("様式の照合の記録は管理者と総務・文書担当が行います。")
    errors: dict[str, str] = {}
    name = " ".join(checked_by.split())
    if not name:
        errors["checked_by"] = "照合した人の氏名を入力してください。"
    elif len(name) > 100:
        errors["checked_by"] = "氏名は100文字以内で入力してください。"
    try:
        on = date.fromisoformat(checked_on.strip())
        if on > today:
            errors["checked_on"] = "照合した日に未来の日付は指定できません。"
    except ValueError:
        errors["checked_on"] = "照合した日を YYYY-MM-DD の形で入力してください。"
        on = today
    if digest != definition_digest(definition):
        errors["file"] = "照合の後で様式の定義が変わりました。もう一度照合してください。"
    if not file_name.strip() or len(file_name) > 255 or len(file_sha256) != 64:
        errors["file"] = "照合したファイルの情報がありません。もう一度照合してください。"
    if errors:
        raise ValidationFailed(errors)
    row = FormConfirmation(organisation_id=actor.organisation_id, form=definition.form, version=definition.version,
                           definition_digest=digest, file_name=file_name.strip(), file_sha256=file_sha256,
                           checked_on=on, checked_by=name, recorded_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="form_confirmation", entity_id=row.id, action="create", after=row,
                 note=f"様式の照合: {FORM_LABEL[definition.form]} {definition.label} を {row.file_name} で "
                      f"{on.isoformat()} に {name} が照合")
    session.commit()
    return row


def latest(session: Session, organisation_id: int, definition: Definition) -> FormConfirmation | None:
    """The organisation's newest record for this form version, valid or not."""
    return session.exec(
        select(FormConfirmation).where(FormConfirmation.organisation_id == organisation_id,
                                       FormConfirmation.form == definition.form,
                                       FormConfirmation.version == definition.version)
        .order_by(col(FormConfirmation.id).desc()).limit(1)).first()


def confirmation(session: Session, organisation_id: int, definition: Definition) -> FormConfirmation | None:
    """The organisation's valid record for this form version: None when there is none or the definition has
    changed since (its digest differs: the check must be made again)."""
    row = latest(session, organisation_id, definition)
    return row if row is not None and row.definition_digest == definition_digest(definition) else None


def overview(session: Session, organisation_id: int, base: Path | None = None) -> list[dict[str, Any]]:
    """Every form version with the organisation's latest record and whether it is still valid."""
    out = []
    for form in ("basic", "focused", "full"):
        for d in catalogue(base).versions(form):
            row = latest(session, organisation_id, d)
            out.append({"definition": d, "record": row,
                        "valid": row is not None and row.definition_digest == definition_digest(d)})
    return out
