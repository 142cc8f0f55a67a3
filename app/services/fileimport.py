"""Importing a filled 評価書 file (.docx, .xlsx, .pdf or its `pdftotext -layout` text) into a working draft.

The file is read by app/services/formfiles.py (rows of cells; size and zip-bomb checks) and app/domain/fileread.py
(labels aligned with the definition of the 様式 version the file names, answers read by type); answers of an older
version move to the chosen one by its `successor_map`. The draft is written by the one import path
(jsonimport.import_document: a 作成中 version, never procedure stages), together with one UnmappedAnswer row per
text that could not be placed (「取り込めなかった記載」, listed in the editor until placed or discarded) — one
transaction: a refused file writes nothing.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from sqlmodel import Session, col, select

from app.domain import fileread
from app.domain.answer_text import answer_text
from app.domain.answers import clean_value
from app.domain.filevalues import norm
from app.domain.forms import FORM_LABEL, Definition
from app.domain.policy import Actor
from app.errors import NotFound, ValidationFailed
from app.models import Assessment, AssessmentVersion, UnmappedAnswer, pk
from app.models.base import MAX_ID
from app.services import audit, catalogue, formfiles
from app.services.assessments import current_version
from app.services.assessments import get as get_assessment

SUFFIXES = (".docx", ".xlsx", ".pdf", ".txt")
SOURCE = "file"     # UnmappedAnswer.value["source"] of a text left over by a file import
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Report:
    """What one import did, for the report page and the CLI."""

    version_id: int = 0
    assessment_id: int = 0
    file_label: str = ""                      # 様式 label printed in the file
    source_version: str = ""                  # the definition the file was read with
    target_version: str = ""
    files: list[tuple[str, str]] = field(default_factory=list)
    filled: list[tuple[str, str]] = field(default_factory=list)
    empty: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    unplaced: list[fileread.Unplaced] = field(default_factory=list)
    unassigned: list[tuple[str, str, int]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unplaced_ids: list[int] = field(default_factory=list)   # the UnmappedAnswer rows written for `unplaced`
    file_name: str = ""

    def stored(self) -> dict[str, Any]:
        """What the report page shows again later (kept in the import's audit row)."""
        return {"file_label": self.file_label, "source_version": self.source_version,
                "target_version": self.target_version, "files": self.files, "filled": self.filled,
                "empty": self.empty, "missing": self.missing, "unassigned": self.unassigned,
                "notices": self.notices, "unplaced_ids": self.unplaced_ids}

    def summary(self) -> str:
        return (f"記入あり {len(self.filled)} 項目、ファイルで空欄 {len(self.empty)} 項目、ファイルに見つからない "
                f"{len(self.missing)} 項目、取り込めなかった記載 {len(self.unplaced)} 件")


def refuse(message: str) -> NoReturn:
    raise ValidationFailed({"file": message + "何も取り込んでいません。"}, message=message + "何も取り込んでいません。")


# ---------------------------------------------------------------- the file

def check_file(name: str, data: bytes) -> str:
    """The file's suffix after the checks every kind shares (type, size, password, macros)."""
    suffix = Path(name or "").suffix.lower()
    if suffix in (".docm", ".xlsm", ".dotm", ".xltm"):
        refuse("マクロを含むファイル(.docm / .xlsm)は取り込めません。マクロを含まない形式(.docx / .xlsx)で保存し直してください。")
    if suffix in (".doc", ".xls"):
        refuse("Word 97-2003 / Excel 97-2003 形式は取り込めません。.docx / .xlsx で保存し直してください。")
    if suffix not in SUFFIXES:
        refuse("取り込めるのは Word(.docx)、Excel(.xlsx)、PDF(.pdf)と pdftotext -layout のテキスト(.txt)です。")
    if not data:
        refuse("ファイルが空です。")
    if len(data) > formfiles.MAX_BYTES:
        refuse(f"ファイルが大きすぎます(上限 {formfiles.MAX_BYTES // (1024 * 1024)}MB)。")
    if suffix in (".docx", ".xlsx"):
        if data.startswith(OLE_MAGIC):
            refuse("パスワードで保護されたファイルは取り込めません。パスワードを解除して保存し直してから取り込んでください。")
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            refuse(("Word" if suffix == ".docx" else "Excel") + " ファイルとして読み込めません(壊れているか、形式が違います)。")
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            refuse("マクロを含むファイルは取り込めません。マクロを含まない形式(.docx / .xlsx)で保存し直してください。")
    if suffix == ".pdf" and not data.startswith(b"%PDF"):
        refuse("PDF ファイルとして読み込めません(壊れているか、形式が違います)。")
    return suffix


def pdf_text(data: bytes, *, timeout: int = 60) -> str:
    exe = shutil.which("pdftotext")
    if not exe:
        refuse("PDF を読むには pdftotext(poppler-utils)が必要ですが、見つかりません。Word 形式のファイルを取り込んでください。")
    with tempfile.TemporaryDirectory(prefix="spia-import-") as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.txt"
        src.write_bytes(data)
        try:
            done = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(src), str(dst)], capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            refuse("PDF の読み取りが時間内に終わりませんでした。")
        if done.returncode != 0 or not dst.exists():
            err = done.stderr.decode("utf-8", "replace")
            if "password" in err.lower() or "encrypt" in err.lower():
                refuse("パスワードで保護された PDF は取り込めません。")
            refuse("PDF ファイルとして読み込めません(壊れているか、パスワードで保護されています)。")
        return dst.read_text("utf-8", errors="replace")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse("テキストファイルは UTF-8 で保存してください(pdftotext -enc UTF-8 -layout)。")


def read_lines(name: str, data: bytes, d: Definition) -> list[fileread.Line]:
    suffix = check_file(name, data)
    try:
        if suffix == ".pdf":
            rows = fileread.layout_rows(pdf_text(data), d)
        elif suffix == ".txt":
            rows = fileread.layout_rows(_decode(data), d)
        else:
            rows = formfiles.read_rows(name, data)
    except formfiles.FormFileError as exc:
        refuse(str(exc))
    return fileread.lines_from_rows(rows, d)


# ---------------------------------------------------------------- mapping to the chosen version

def source_definition(form: str, label: str, target: Definition) -> Definition:
    """The definition whose 様式 label the file prints (the target's when the file prints none, or an unknown one)."""
    if label:
        for d in catalogue.catalogue().versions(form):
            if norm(d.label) == norm(label):
                return d
    return target


def _map(src: Definition, dst: Definition, r: fileread.Reading) -> list[dict[str, Any]]:
    """Answers of `src` as answers of `dst` (successor_map, then by id); what has no place joins r.unplaced."""
    rename = dst.manifest.successor_map if src.version != dst.version else {}
    out = []
    for uid, items in r.answers.items():
        for item_id, value in items.items():
            target = rename.get(item_id, item_id)
            ok = dst.has(target) and dst.item(target).answerable and not dst.item(target).readonly
            clean, err = clean_value(dst.item(target), value) if ok else (None, "")
            if ok and err is None:
                out.append({"file": uid, "item": target, "value": clean, "withheld": False, "withheld_reason": ""})
            else:
                item = src.item(item_id)
                r.unplaced.append(fileread.Unplaced(uid, "", item.label, answer_text(item, value),
                                                    err or f"様式 {dst.label} に対応する項目がありません。", item_id))
    return out


def _jimu_name(d: Definition, r: fileread.Reading) -> str:
    top = r.answers.get("", {})
    named = d.prefilled_by("jimu.name")  # Ⅰ1 事務の名称
    value = top.get(named) if named else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    name = str(top.get(d.prefilled_by("jimu.title") or "") or "")
    return re.sub(r"\s*(?:" + "|".join(fileread.TITLE_WORD.values()) + r")$", "", name).strip()


# ---------------------------------------------------------------- the import

def import_file(session: Session, *, actor: Actor, name: str, data: bytes, form: str, version: str = "",
                into: int | None = None, source_version: str = "", jimu_id: int | None = None,
                number: int | None = None) -> Report:
    """Read `data` into the working draft of 評価書 `into`, or into a new 評価書 (of the 事務 `jimu_id`, else of the
    事務 named in the file; 評価書番号 from the file, else `number`). `form` "" = as the file says; `version` is the
    target 様式 version ("" = the newest, or `into`'s own); `source_version` the one the file is written in ("" = as
    the file prints it)."""
    from app.services.jsonimport import import_document
    from app.services.register import get_jimu

    jimu_name = get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True).name if jimu_id and not into else ""
    if into:
        form = form or get_assessment(session, actor=actor, assessment_id=into, edit=True)[0].form
    if not form:
        form = fileread.form_of_file(read_lines(name, data, catalogue.catalogue().latest("full"))) or ""
        if not form:
            refuse("ファイルから様式(基礎項目・重点項目・全項目評価書)を判定できません。様式を選んでください。")
    if form not in FORM_LABEL:
        refuse("様式(form)は basic / focused / full のいずれかを指定してください。")
    if into:
        a, _ = get_assessment(session, actor=actor, assessment_id=into, edit=True)
        if a.form != form:
            refuse(f"取り込み先は{FORM_LABEL[a.form]}です。{FORM_LABEL[form]}として取り込めません。")
        cur = current_version(session, pk(a))
        if version and version != cur.form_version:
            refuse(f"取り込み先の版の様式は {cur.form_version} です(指定 {version})。")
        version, number = cur.form_version, a.number
    elif number is not None and not 1 <= number <= MAX_ID:
        refuse("評価書番号が正しくありません。")
    try:
        target = catalogue.definition(form, version) if version else catalogue.catalogue().latest(form)
    except KeyError:
        refuse(f"様式の版 {version} はありません。")
    lines = read_lines(name, data, target)
    said = fileread.form_of_file(lines)
    if said and said != form:
        refuse(f"このファイルは{FORM_LABEL[said]}です。{FORM_LABEL[form]}として取り込めません(様式の選択 --form を確認してください)。")
    try:
        src = catalogue.definition(form, source_version) if source_version else \
            source_definition(form, fileread.version_label(lines), target)
    except KeyError:
        refuse(f"様式の版 {source_version} はありません。")
    if src is not target:
        lines = read_lines(name, data, src)
    r = fileread.read(src, lines)
    if not r.filled:
        refuse(f"{FORM_LABEL[form]}の項目が一つも見つかりません。別の様式のファイルではありませんか。")
    if into and r.number is not None and r.number != number:
        refuse(f"ファイルの評価書番号({r.number})が取り込み先の評価書番号({number})と異なります。")
    answers = _map(src, target, r)
    rep = Report(file_name=name, file_label=r.label, source_version=src.version, target_version=target.version,
                 files=r.files, filled=r.filled, empty=r.empty, missing=r.missing, unplaced=r.unplaced, unassigned=r.unassigned)
    if r.label and norm(r.label) != norm(src.label):
        rep.notices.append(f"ファイルの様式 {r.label} はこのシステムにない版のため、{src.label} として読みました。")
    if src is not target:
        rep.notices.append(f"ファイルの様式 {src.label} の記載を {target.label} に移しました。")
    doc = {"format": "spia-assessment", "format_version": 1,
           "assessment": {"form": form, "number": (number if not into else None) or r.number or 0},
           "jimu": {"name": jimu_name or _jimu_name(src, r)},
           "version": {"form_version": target.version},
           "files": [{"uid": uid, "name": fname, "position": n} for n, (uid, fname) in enumerate(r.files)],
           "answers": answers}
    if not into and not r.number and not number:
        refuse("ファイルから評価書番号が読み取れません。評価書番号を指定するか(--number)、"
               "取り込み先の評価書を指定してください(--into)。")

    def leftovers(s: Session, v: AssessmentVersion) -> None:
        rows = [UnmappedAnswer(version_id=pk(v), file_uid=u.uid if u.uid in {f for f, _ in r.files} else "",
                               old_item_id=(u.item_id or "-")[:100], label=(u.label or "(見出しなし)")[:500],
                               value={"source": SOURCE, "where": u.where, "reason": u.reason}, text=u.text[:40000])
                for u in rep.unplaced]
        s.add_all(rows)
        s.flush()
        rep.unplaced_ids = [pk(u) for u in rows]
        audit.record(s, actor=actor, entity="assessment_version", entity_id=v.id, action="file_imported",
                     after={"file": name[:200], "summary": rep.summary(), "report": rep.stored()})

    outcome = import_document(session, actor=actor, data=doc, into=into, also=leftovers)
    rep.notices = outcome.notices + rep.notices
    rep.version_id, rep.assessment_id = pk(outcome.version), outcome.version.assessment_id
    return rep


def leftovers_of(session: Session, version_id: int) -> list[UnmappedAnswer]:
    """The 「取り込めなかった記載」 of a version (file imports), in order."""
    rows = session.exec(select(UnmappedAnswer).where(UnmappedAnswer.version_id == version_id)
                        .order_by(col(UnmappedAnswer.id))).all()
    return [u for u in rows if isinstance(u.value, dict) and u.value.get("source") == SOURCE]


def assessment_number(session: Session, assessment_id: int) -> int:
    a = session.get(Assessment, assessment_id)
    if a is None:
        raise NotFound("評価書が見つかりません。")
    return a.number
