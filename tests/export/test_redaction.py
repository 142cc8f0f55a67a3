"""issue 11 items 11–12: one redaction step driven by the 非公表 flags for every published artefact."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from app.domain import redaction
from app.export.docx import read_custom_json
from app.models import Answer, ChangeClass, ChangeRow, ImprovementAction
from app.services import catalogue, changes, exports, plan, snapshots
from tests.export.helpers import all_text, body_sequence, open_docx

TODAY = date(2026, 11, 23)
JUDGEMENT_BEFORE, JUDGEMENT_AFTER = "特に力を入れている", "課題が残されている"


def package_text(data: bytes) -> str:
    """Every XML part of a docx (body, headers, core/custom properties, embedded JSON), unescaped enough to search."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            raw = z.read(name).decode("utf-8", "ignore")
            out.append(raw)
            if name.endswith(".xml") and "customXml" in name:
                out.append(json.dumps(json.loads(read_custom_json(data) or "{}"), ensure_ascii=False))
    return "\n".join(out) + all_text(data)


def _secrets(db, v) -> set[str]:
    """Answer strings long enough not to be form text; collected before anything is exported."""
    d = catalogue.definition("full", v.form_version)
    found: set[str] = set()
    for ans in db.exec(select(Answer).where(Answer.version_id == v.id)).all():
        item = d.item(ans.item_id)
        if item.readonly or item.prefill:  # register facts (事務・ファイルの名称, 機関の長), printed from the register
            continue
        found |= {s for s in redaction.text_strings(ans.value) if len(s) >= 6}
    form_text = "".join(p.read_text("utf-8") for p in Path("assessments/full").rglob("*.yaml"))
    return {s for s in found if s not in form_text}  # choice labels and the like are the form's own text


def _withhold_all(db, v) -> None:
    for ans in db.exec(select(Answer).where(Answer.version_id == v.id)).all():
        ans.withheld, ans.withheld_reason = True, "セキュリティ上のリスク"
        db.add(ans)
    db.commit()


def _change_rows(db, v, secrets: set[str]) -> None:
    """Rows as revisions.generate_rows writes them (item + diff key), one merged row and one typed by hand."""
    answers = db.exec(select(Answer).where(Answer.version_id == v.id).order_by(Answer.id)).all()
    texty = [a for a in answers if isinstance(a.value, str) and len(a.value.strip()) >= 6][:6]
    for n, a in enumerate(texty):
        db.add(ChangeRow(assessment_id=v.assessment_id, version_seq=v.seq, position=n, source="generated",
                         item_id=a.item_id, file_uid=a.file_uid, key=f"{a.file_uid}|{a.item_id}||",
                         item_label=a.item_id, before_text=f"旧:{a.value}", after_text=a.value, timing="事前"))
    x, y = texty[0], texty[1]
    db.add(ChangeRow(assessment_id=v.assessment_id, version_seq=v.seq, position=20, source="merged",
                     key=f"merged|{x.file_uid}|{x.item_id}||||{y.file_uid}|{y.item_id}||", item_label="まとめた行",
                     before_text=f"{x.value}\n{y.value}", after_text="変更後"))
    db.add(ChangeRow(assessment_id=v.assessment_id, version_seq=v.seq, position=21, source="manual",
                     item_label="手入力", before_text=f"記載: {sorted(secrets)[0]}", after_text="見直し"))
    db.commit()


def _free_text_artefacts(db, system, v, secrets: list[str]) -> dict[str, bytes]:
    """意見募集結果, the public 会議録 and the ICS feed, each quoting 非公表 answers where people write freely."""
    from app.models import Council, Meeting, Opinion, PublicComment, Review, User
    from app.services import auth, calendar, comments, minutes

    pc = PublicComment(version_id=v.id, method="ホームページ", start_on=date(2026, 10, 1), end_on=date(2026, 10, 31))
    db.add(pc)
    db.flush()
    db.add(Opinion(comment_id=pc.id, received_on=date(2026, 10, 5), channel="郵送", text=f"「{secrets[0]}」は不十分",
                   response=f"{secrets[1]}のとおりです。"))
    body = Council(organisation_id=v.assessment.organisation_id if hasattr(v, "assessment") else system.organisation_id,
                   name="個人情報保護審議会")
    db.add(body)
    db.flush()
    review = Review(version_id=v.id, council_id=body.id)
    db.add(review)
    db.flush()
    meeting = Meeting(review_id=review.id, session_name="令和8年度第1回", held_on=date(2026, 11, 1),
                      minutes=[{"speaker": "委員", "text": f"{secrets[2]}について確認したい。", "private": False}])
    db.add(meeting)
    admin = db.exec(select(User).where(User.role == "admin")).first()
    db.add(ImprovementAction(assessment_id=v.assessment_id, version_id=v.id, item_id="II.6.1", content=secrets[3],
                             owner="担当", due_on=date(2026, 12, 20)))
    db.commit()
    token = auth.create_api_token(db, actor=auth.actor_for(db, admin), name="予定表", purpose="calendar")
    return {
        "results.docx": comments.results_docx(db, actor=system, version_id=v.id)[1],
        "minutes.docx": minutes.minutes_docx(db, actor=system, meeting_id=meeting.id, public=True)[1],
        "feed.ics": calendar.feed(db, token=token, today=TODAY),
    }


def _assert_clean(name: str, text: str, secrets: set[str]) -> None:
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"{name}: {leaked[:5]}"


def test_every_public_artefact_withholds_every_answer(db, system, full_version):
    v, _ = full_version
    secrets = _secrets(db, v)
    assert len(secrets) > 20
    _change_rows(db, v, secrets)
    _withhold_all(db, v)

    full = exports.export(db, actor=system, version_id=v.id, edition="full", today=TODAY).content
    full_text = package_text(full)
    printed = {s for s in secrets if s in full_text}  # what the 提出用 prints (codes and ISO dates print otherwise)
    assert len(printed) > 0.8 * len(secrets), "the 提出用 must keep everything"
    secrets = printed

    artefacts = {}
    for edition in ("draft", "public"):
        artefacts[edition] = exports.export(db, actor=system, version_id=v.id, edition=edition, today=TODAY).content
    _, artefacts["changes.docx"] = changes.comparison_docx(db, actor=system, assessment_id=v.assessment_id)
    snap = snapshots.take(db, actor=system, version_id=v.id, purpose="public_comment", today=TODAY)
    artefacts["snapshot.docx"] = snap.docx
    org, rows = plan.rows(db, actor=system, today=TODAY)
    artefacts["plan.docx"] = plan.to_docx(org, rows, TODAY)
    for name, data in artefacts.items():
        text = package_text(data)
        _assert_clean(name, text, secrets)
        if name != "plan.docx":  # the plan prints the default 評価書名 instead
            assert redaction.WITHHELD in text, name
    _assert_clean("snapshot.data", json.dumps(snap.data, ensure_ascii=False), secrets)
    _assert_clean("plan.csv", plan.to_csv(rows).decode("utf-8-sig", "ignore"), secrets)
    for name, data in _free_text_artefacts(db, system, v, sorted(secrets)).items():
        text = package_text(data) if name.endswith(".docx") else data.decode().replace("\r\n ", "")  # unfold ICS
        _assert_clean(name, text, secrets)
        assert {"results.docx": "(非公表)", "minutes.docx": "(非公表)", "feed.ics": "改善策の期限"}[name] in text
    db.rollback()
    if not ((shutil.which("soffice") or shutil.which("libreoffice")) and shutil.which("pdftotext")):
        pytest.skip("LibreOffice / pdftotext がないため PDF の確認は省略")
    pdf = exports.to_pdf(artefacts["public"])
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    _assert_clean("public.pdf", text.decode("utf-8", "ignore"), secrets)
    assert redaction.WITHHELD in text.decode("utf-8", "ignore")


def test_judgement_change_of_a_withheld_item_reveals_neither_value(db, system, full_version):
    v, _written = full_version
    ans = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == "II.6.1")).first()
    ans.withheld, ans.withheld_reason = True, "セキュリティ上のリスク"
    db.add(ans)
    db.add(ChangeRow(assessment_id=v.assessment_id, version_seq=v.seq, source="generated", item_id=ans.item_id,
                     file_uid=ans.file_uid, key=f"{ans.file_uid}|{ans.item_id}||", item_label="リスクへの対策は十分か",
                     before_text=JUDGEMENT_BEFORE, after_text=JUDGEMENT_AFTER, timing="事前"))
    db.commit()
    full = package_text(exports.export(db, actor=system, version_id=v.id, edition="full", today=TODAY).content)
    assert JUDGEMENT_BEFORE in full and JUDGEMENT_AFTER in full
    outs = [exports.export(db, actor=system, version_id=v.id, edition=e, today=TODAY).content for e in ("draft", "public")]
    outs.append(changes.comparison_docx(db, actor=system, assessment_id=v.assessment_id)[1])
    for data in outs:  # other (public) items print these labels too: look at the change row itself
        texts = [t for _, t in body_sequence(open_docx(data))]
        k = len(texts) - 1 - texts[::-1].index("リスクへの対策は十分か")  # the change row: the last one (labels carry no ※)
        assert texts[k + 1:k + 3] == [redaction.WITHHELD, redaction.WITHHELD]
        assert JUDGEMENT_BEFORE not in json.dumps(read_custom_json(data) or "", ensure_ascii=False)


def test_public_editions_embed_no_actions_or_change_decisions(db, system, full_version):
    v, _ = full_version
    secret_action, owner = "監視カメラを更新し入退室記録を毎月点検する", "情報政策課 山田太郎(内線4321)"
    db.add(ImprovementAction(assessment_id=v.assessment_id, version_id=v.id, item_id="II.6.1", content=secret_action,
                             owner=owner, due_on=date(2027, 3, 31)))
    db.add(ChangeClass(version_id=v.id, file_uid="", item_id="I.1.1", decision="important"))
    db.commit()
    full = json.loads(read_custom_json(exports.export(db, actor=system, version_id=v.id, edition="full",
                                                      today=TODAY).content))
    assert full["actions"] and full["change_classes"]
    for edition in ("draft", "public"):
        data = exports.export(db, actor=system, version_id=v.id, edition=edition, today=TODAY).content
        embedded = json.loads(read_custom_json(data))
        assert "actions" not in embedded and "change_classes" not in embedded
        text = package_text(data)
        for s in (secret_action, owner, "4321", "2027-03-31"):
            assert s not in text, (edition, s)


def test_generated_rows_of_a_withheld_judgement_change(db, system, full_version):
    """Publish, revise, turn a judgement from 特に力を入れている to 課題が残されている, mark it 非公表, generate the rows."""
    from app.services import revisions

    v, _ = full_version
    item = "III.2.r1.j"
    first = db.exec(select(Answer).where(Answer.version_id == v.id, Answer.item_id == item)).first()
    first.value = JUDGEMENT_BEFORE
    db.add(first)
    v.stage, v.frozen, v.published_on = "published", True, date(2026, 4, 1)
    db.add(v)
    db.commit()
    v2 = revisions.revise(db, actor=system, assessment_id=v.assessment_id, reason="change")
    ans = db.exec(select(Answer).where(Answer.version_id == v2.id, Answer.item_id == item,
                                       Answer.file_uid == first.file_uid)).one()
    ans.value, ans.withheld, ans.withheld_reason = JUDGEMENT_AFTER, True, "セキュリティ上のリスク"
    db.add(ans)
    db.commit()
    assert revisions.generate_rows(db, actor=system, version_id=v2.id, today=TODAY) >= 1
    row = db.exec(select(ChangeRow).where(ChangeRow.assessment_id == v.assessment_id, ChangeRow.item_id == item)).one()
    assert (row.before_text, row.after_text) == (JUDGEMENT_BEFORE, JUDGEMENT_AFTER)  # kept for the 提出用

    def row_cells(data: bytes) -> list[str]:
        texts = [t for _, t in body_sequence(open_docx(data))]
        k = texts.index(row.item_label)
        return texts[k + 1:k + 3]

    full = exports.export(db, actor=system, version_id=v2.id, edition="full", today=TODAY).content
    assert row_cells(full) == [JUDGEMENT_BEFORE, JUDGEMENT_AFTER]
    for edition in ("draft", "public"):
        data = exports.export(db, actor=system, version_id=v2.id, edition=edition, today=TODAY).content
        assert row_cells(data) == [redaction.WITHHELD, redaction.WITHHELD], edition
    assert row_cells(changes.comparison_docx(db, actor=system, assessment_id=v.assessment_id)[1]) == \
        [redaction.WITHHELD, redaction.WITHHELD]
