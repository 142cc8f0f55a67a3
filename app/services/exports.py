"""Assemble an export: load a version into a Bundle, build the document model, render DOCX (or PDF)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard

from sqlmodel import Session, col, select

from app.domain import redaction
from app.domain.forms import FORM_LABEL, Definition
from app.domain.policy import Actor
from app.domain.wareki import wareki_compact
from app.errors import DomainError, ValidationFailed
from app.export import assessment_doc
from app.models import AssessmentVersion, ChangeRow, Organisation, Snapshot, pk
from app.services import catalogue, jsonio, migration
from app.services import redaction as redaction_service
from app.services.answers import answers_of
from app.services.assessments import files as version_files
from app.services.assessments import get_version
from app.services.organisation import get_organisation

if TYPE_CHECKING:
    from app.services.jsonimport import ImportOutcome

EDITIONS = ("draft", "full", "public")
FORMATS = ("docx", "pdf")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def is_edition(edition: str) -> TypeGuard[assessment_doc.Edition]:
    return edition in EDITIONS


class ConversionUnavailable(DomainError):
    status = 503


@dataclass
class Exported:
    filename: str
    content: bytes
    media_type: str


def bundle(session: Session, *, actor: Actor, version_id: int, edition: str,
           embed_json: bool = True) -> assessment_doc.Bundle:
    """Everything the document model needs. `embed_json`: carry the structured JSON for the Word round trip (a
    PDF does not keep it, and LibreOffice would read its ~400 KB on every conversion)."""
    v, a, jimu = get_version(session, actor=actor, version_id=version_id)
    d = catalogue.definition(a.form, v.form_version)
    org = get_organisation(session, a.organisation_id)
    vfiles = version_files(session, pk(v))
    answers = answers_of(session, pk(v))
    if v.kind == migration.KIND and not answers:  # 「内容未取込」: an empty document would mislead
        raise ValidationFailed({"version": migration.NOTHING_TO_PRINT}, migration.NOTHING_TO_PRINT)
    values = {uid: {i: x.value for i, x in items.items()} for uid, items in answers.items()}
    from app.services import prefill

    prefill.merge_readonly(d, values, prefill.compute(d, prefill.Sources(session, v, a)))
    withheld = {uid: {i: x.withheld_reason for i, x in items.items() if x.withheld} for uid, items in answers.items()}
    public = redaction.is_public(edition)
    payload = jsonio.export_version(session, actor=actor, version_id=pk(v), public=public) if embed_json else None
    if payload is not None and public:  # the embedded data carries only what the edition prints (no actions …)
        payload = redaction.public_payload(payload)
    if payload is not None:
        payload["edition"] = edition
    changes = session.exec(select(ChangeRow).where(ChangeRow.assessment_id == a.id, ChangeRow.version_seq <= v.seq)
                           .order_by(col(ChangeRow.version_seq), col(ChangeRow.position), col(ChangeRow.id))).all()
    keys, secrets = redaction_service.withheld_of_assessment(session, pk(a), v.seq) if public else (set(), set())

    def texts(c: ChangeRow) -> tuple[str, str]:
        return redaction_service.change_row(c, keys, secrets) if public else (c.before_text, c.after_text)
    return assessment_doc.Bundle(
        definition=d, label=catalogue.labels(session).get((d.form, d.version), d.label), org_name=org.name,
        jimu_name=jimu.name, jimu_ended_on=jimu.end_date if jimu.status == "ended" else None,
        files=[(f.uid, f.name) for f in vfiles], values=values, withheld=withheld,
        changes=[assessment_doc.ChangeRowData(c.changed_on, c.item_label, *texts(c), c.timing, c.timing_note)
                 for c in changes],
        published_on=v.published_on, approved_on=v.approved_on,
        custom_json=json.dumps(payload, ensure_ascii=False, sort_keys=True) if payload is not None else None,
        figures=_figures(session, d, values), **_print_settings(session, pk(v)),
    )


def export(session: Session, *, actor: Actor, version_id: int, edition: str, fmt: str = "docx",
           today: date) -> Exported:
    if not is_edition(edition):
        raise ValidationFailed({"edition": "版(edition)は draft / full / public のいずれかを指定してください。"})
    if fmt not in FORMATS:
        raise ValidationFailed({"format": "形式(format)は docx または pdf を指定してください。"})
    b = bundle(session, actor=actor, version_id=version_id, edition=edition, embed_json=fmt == "docx")
    on = b.published_on if edition != "draft" and b.published_on else today
    name = f"{b.jimu_name}_{FORM_LABEL[b.definition.form]}_{assessment_doc.EDITION_LABEL[edition]}_{wareki_compact(on)}"
    name = "".join(c for c in name if c not in '\\/:*?"<>|\r\n\t')
    data = rendered(b, edition, fmt)
    if fmt == "pdf":
        return Exported(f"{name}.pdf", data, "application/pdf")
    return Exported(f"{name}.docx", data, DOCX_TYPE)


def rendered(b: assessment_doc.Bundle, edition: assessment_doc.Edition, fmt: str) -> bytes:
    """The document of a bundle: from the cache when the same content was rendered before (app/services/
    export_cache.py), else rendered (and converted to PDF) and kept."""
    from app.config import get_settings
    from app.services import export_cache, render_pool

    s = get_settings()
    k = export_cache.key(b, edition, fmt, s.forms_dir) if s.export_cache_mb > 0 else ""
    data = export_cache.get(s.export_cache_dir, k, fmt) if k else None
    if data is None:
        # the PDF is printed from ODF, which LibreOffice reads in about half the time of .docx (app/export/odt.py)
        kind = "odt" if fmt == "pdf" else "docx"
        data = render_pool.render(b, edition, kind) if render_pool.running() else render_pool.job(b, edition, kind)
        if fmt == "pdf":
            data = to_pdf(data, suffix=".odt")
        if k:
            export_cache.put(s.export_cache_dir, k, fmt, data, limit_mb=s.export_cache_mb)
    return data


def to_pdf(document: bytes, *, suffix: str = ".docx", soffice: str | None = None) -> bytes:
    """Convert with LibreOffice headless; a clear Japanese message when it is not installed."""
    from app.config import get_settings

    exe = shutil.which(soffice or get_settings().soffice_path) or shutil.which("libreoffice")
    if not exe:
        raise ConversionUnavailable("PDF に変換するには LibreOffice(soffice)が必要ですが、見つかりません。"
                                    "Word 形式(docx)で出力するか、LibreOffice を導入してください。")
    from app.services import pdf

    return pdf.convert(document, exe, suffix)


# A DOCX is a zip: refuse it before python-docx unpacks it when the file, the unpacked total or the compression
# ratio of a large member is beyond what an exported 評価書 ever needs (zip bombs). zipfile never returns more than
# a member's declared size, so the declared sizes bound what is read.
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
MAX_DOCX_MEMBERS = 2000
MAX_DOCX_RATIO = 200
DOCX_RATIO_FROM = 1024 * 1024


def check_docx_package(data: bytes) -> None:
    """Raise ValidationFailed (Japanese, field `file`) unless `data` is a zip of sane size; reads no member."""
    import io
    import zipfile

    def refuse(message: str) -> NoReturn:
        raise ValidationFailed({"file": message})

    if len(data) > MAX_DOCX_BYTES:
        refuse(f"Word ファイルが大きすぎます(上限 {MAX_DOCX_BYTES // (1024 * 1024)}MB)。")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        refuse("Word ファイルとして読み込めません(docx ではありません)。このシステムで出力した Word ファイルを指定してください。")
    if len(infos) > MAX_DOCX_MEMBERS:
        refuse("Word ファイルの構成が異常なため取り込めません(含まれるファイルが多すぎます)。")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_DOCX_UNPACKED or (info.file_size > DOCX_RATIO_FROM and ratio > MAX_DOCX_RATIO):
            refuse(f"展開後のサイズが大きすぎるため取り込めません(上限 {MAX_DOCX_UNPACKED // (1024 * 1024)}MB)。"
                   "圧縮爆弾などの不正なファイルの可能性があります。")


def import_docx(session: Session, *, actor: Actor, data: bytes, into: int | None = None,
                number: int | None = None) -> AssessmentVersion:
    """The imported version (see `import_docx_document`)."""
    return import_docx_document(session, actor=actor, data=data, into=into, number=number).version


def import_docx_document(session: Session, *, actor: Actor, data: bytes, into: int | None = None,
                         number: int | None = None) -> ImportOutcome:
    """Re-import an exported DOCX from its embedded JSON (only the 提出用 edition carries 非公表 text)."""
    from app.export.docx import read_custom_json
    from app.services.jsonimport import import_document

    check_docx_package(data)
    try:
        text = read_custom_json(data)
    except Exception:
        raise ValidationFailed({"file": "Word ファイルとして読み込めません(破損しているか、docx ではありません)。"}) from None
    if not text:
        raise ValidationFailed({"file": "このシステムで出力した評価書ではありません(埋め込みデータがありません)。"})
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise ValidationFailed({"file": "埋め込みデータが壊れています。"}) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("answers", []), list):
        raise ValidationFailed({"file": "埋め込みデータが壊れています。"})
    if doc.get("edition") in ("draft", "public") and any(isinstance(a, dict) and a.get("withheld")
                                                         for a in doc.get("answers", [])):
        raise ValidationFailed({"file": "非公表の項目を含む評価書の案・公表用は、非公表の内容が含まれないため取り込めません。"
                                        "提出用(full)を取り込んでください。"})
    return import_document(session, actor=actor, data=doc, into=into, number=number)


def bundle_from_snapshot(session: Session, snap: Snapshot, edition: str) -> assessment_doc.Bundle:
    """A Bundle built from a frozen snapshot's JSON (the council reads exactly what was sent)."""
    data = snap.data
    d = catalogue.definition(data["assessment"]["form"], data["version"]["form_version"])
    values: dict[str, dict[str, Any]] = {}
    withheld: dict[str, dict[str, str]] = {}
    for e in data["answers"]:
        values.setdefault(e["file"], {})[e["item"]] = e["value"]
        if e.get("withheld"):
            withheld.setdefault(e["file"], {})[e["item"]] = e.get("withheld_reason", "")
    from datetime import date as _date

    def day(key: str) -> date | None:
        raw = data["version"].get(key)
        return _date.fromisoformat(raw) if raw else None

    # read-only items the register fills (評価書番号) are not stored as answers: take them from the frozen JSON
    for item in d.section("cover").items:
        if item.prefill == "assessment.number" and data["assessment"].get("number") is not None:
            values.setdefault("", {})[item.id] = data["assessment"]["number"]

    return assessment_doc.Bundle(
        definition=d, label=catalogue.labels(session).get((d.form, d.version), d.label),
        org_name=data["organisation"]["name"], jimu_name=data["jimu"]["name"], jimu_ended_on=None,
        files=[(f["uid"], f["name"]) for f in sorted(data["files"], key=lambda f: f.get("position", 0))],
        values=values, withheld=withheld, published_on=day("published_on"), approved_on=day("approved_on"),
        figures=_figures(session, d, values), **_print_settings(session, snap.version_id),
    )


def _figures(session: Session, d: Definition, values: dict[str, dict[str, Any]]) -> dict[str, tuple[bytes, int, int]]:
    """The stored pictures the figure answers refer to (sha -> PNG, width, height)."""
    from app.domain.answer_types import holds_pictures
    from app.services import figures

    shas = [s for items in values.values() for i, v in items.items()
            if d.has(i) and holds_pictures(d.item(i)) for s in figures.shas_in(v)]
    return {sha: (b.data, b.width, b.height) for sha, b in figures.blobs(session, shas).items()}


def _print_settings(session: Session, version_id: int) -> dict[str, Any]:
    """The organisation's print settings for a version: 案の表示 (name | above), 対象別の見出し, 措置の番号付け."""
    from app.models import Assessment, AssessmentVersion

    v = session.get(AssessmentVersion, version_id)
    a = session.get(Assessment, v.assessment_id) if v else None
    org = session.get(Organisation, a.organisation_id) if a else None
    if org is None:
        return {}
    return {"draft_marker": "above" if org.draft_marker == "above" else "name",
            "measure_headings": bool(org.measure_headings),
            "measure_numbering": "number" if org.measure_numbering == "number" else "dot"}
