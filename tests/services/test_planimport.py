"""Issue 15 §1/§3: a 計画管理書 (.xlsx, cp932 .csv) into an empty register; idempotent re-run; conflicts listed,
never overwritten; bad files refused with nothing written; the due dates from the 移行登録 versions."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.domain.policy import Actor
from app.errors import Forbidden, ValidationFailed
from app.models import Assessment, AssessmentVersion, AuditLog, Department, Jimu, Organisation, StageEvent
from app.services import due, migration, plan, planfile, planimport

TODAY = date(2025, 6, 1)
HEADERS = ["評価書番号", "評価書名", "評価の種類", "公表日", "提出日", "しきい値判断の結果", "担当部署", "備考"]
DEPTS = ["市民課", "保険年金課", "こども家庭課"]
# the same dates in the different ways people write them
DATE_STYLES = (lambda d: f"令和{d.year - 2018}年{d.month}月{d.day}日" if d >= date(2019, 5, 1) else f"平成{d.year - 1988}年{d.month}月{d.day}日",
               lambda d: f"{d.year}/{d.month}/{d.day}",
               lambda d: f"R{d.year - 2018}.{d.month}.{d.day}" if d >= date(2019, 5, 1) else f"H{d.year - 1988}.{d.month}.{d.day}",
               lambda d: d.isoformat())


def sheet_rows() -> list[dict]:
    """30 評価書: 20 事務 with a 基礎, 10 of them also with a 全項目 (same number), published 2019–2024."""
    out = []
    for i in range(20):
        pub = date(2019 + i % 6, 1 + i % 12, 1 + (i * 3) % 28)
        name = f"テスト事務{i + 1:02d}に関する事務"
        out.append({"number": i + 1, "jimu": name, "form": "基礎項目評価書", "published_on": pub,
                    "submitted_on": date(pub.year, pub.month, 1) if pub.day > 1 else None, "dept": DEPTS[i % 3]})
        if i < 10:
            full_pub = date(pub.year, pub.month, min(pub.day + 1, 28))
            out.append({"number": i + 1, "jimu": name, "form": "全項目", "published_on": full_pub, "submitted_on": None,
                        "dept": DEPTS[i % 3]})
    assert len(out) == 30
    return out


def _cells(r: dict, n: int) -> list[str]:
    style = DATE_STYLES[n % len(DATE_STYLES)]
    return [str(r["number"]), f"{r['jimu']} {r['form'] if r['form'].endswith('書') else r['form'] + '評価書'}",
            r["form"], style(r["published_on"]), style(r["submitted_on"]) if r["submitted_on"] else "",
            "基礎項目評価の実施が義務付けられる", r["dept"], ""]


def xlsx_bytes(rows: list[dict], *, title_rows: bool = True) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title_rows:
        ws.append(["特定個人情報保護評価計画管理書"])
        ws.append(["評価実施機関名: テスト市長"])
    ws.append(HEADERS)
    for n, r in enumerate(rows):
        cells = _cells(r, n)
        cells[3] = r["published_on"] if n % 2 else cells[3]  # every other 公表日 a real date cell
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[dict], encoding: str = "cp932") -> bytes:
    lines = [",".join(HEADERS)] + [",".join(_cells(r, n)) for n, r in enumerate(rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def s(engine):
    with Session(engine, expire_on_commit=False) as session:
        org = Organisation(name="テスト市長", municipality="テスト市")
        session.add(org)
        session.commit()
        yield session


def records(s) -> Actor:
    org = s.exec(select(Organisation)).one()
    return Actor(user_id=None, login_id="records-test", role="records", organisation_id=org.id)


def count(s, model) -> int:
    return s.exec(select(func.count()).select_from(model)).one()


def run(s, data: bytes, name: str, **kw):
    table = planimport.read_table(name, data)
    return planimport.apply(s, actor=records(s), table=table, create_departments=True, today=TODAY, **kw)


@pytest.mark.parametrize(("name", "make"), [("plan.xlsx", xlsx_bytes), ("plan.csv", csv_bytes)])
def test_thirty_rows_into_an_empty_register_and_idempotent(s, name, make):
    rows = sheet_rows()
    done = run(s, make(rows), name)
    assert done.counts == {"create": 30, "update": 0, "unchanged": 0, "conflict": 0, "error": 0}, \
        [(r.line.line, r.details) for r in done.rows if r.action != "create"]
    assert count(s, Jimu) == 20 and count(s, Assessment) == 30 and count(s, Department) == 3
    versions = s.exec(select(AssessmentVersion)).all()
    assert {(v.kind, v.stage, v.frozen) for v in versions} == {("migration", "published", True)}
    by_key = {(s.get(Jimu, s.get(Assessment, v.assessment_id).jimu_id).name, s.get(Assessment, v.assessment_id).form): v
              for v in versions}
    for r in rows:
        form = "basic" if r["form"].startswith("基礎") else "full"
        v = by_key[(r["jimu"], form)]
        assert (v.published_on, v.submitted_on) == (r["published_on"], r["submitted_on"])
    events = s.exec(select(StageEvent)).all()
    assert len(events) == 30 and all(e.action == "migrate" and "内容未取込" in e.note for e in events)
    audit_before = count(s, AuditLog)

    again = run(s, make(rows), name)
    assert again.counts == {"create": 0, "update": 0, "unchanged": 30, "conflict": 0, "error": 0}
    assert count(s, Jimu) == 20 and count(s, Assessment) == 30 and count(s, AssessmentVersion) == 30
    assert count(s, AuditLog) == audit_before + 1  # only the record of the (empty) import itself


def test_due_dates_after_import_are_those_computed_by_hand(s):
    rows = sheet_rows()
    run(s, csv_bytes(rows), "plan.csv")
    got = {(r.q.row.jimu.name, r.assessment.form): (r.next_review_due, r.reassessment_due)
           for r in due.rows(s, actor=records(s), today=TODAY)}
    assert len(got) == 30
    # by hand: 見直し one year after the 公表日, 再実施 on the fifth anniversary
    assert got[("テスト事務01に関する事務", "basic")] == (date(2020, 1, 1), date(2024, 1, 1))
    assert got[("テスト事務01に関する事務", "full")] == (date(2020, 1, 2), date(2024, 1, 2))
    assert got[("テスト事務08に関する事務", "basic")] == (date(2021, 8, 22), date(2025, 8, 22))  # 公表 2020-08-22
    assert got[("テスト事務12に関する事務", "basic")] == (date(2025, 12, 6), date(2029, 12, 6))
    assert got[("テスト事務20に関する事務", "basic")] == (date(2021, 8, 2), date(2025, 8, 2))
    # and the 計画管理書 export prints them, labelled as 移行登録 without content
    _, plan_rows = plan.rows(s, actor=records(s), today=TODAY)
    row = next(p.values for p in plan_rows if p.values["事務の名称"] == "テスト事務12に関する事務")
    assert row["次回の見直し期限"] == "令和7年12月6日" and row["再実施の期限"] == "令和11年12月6日"
    assert row["公表日"] == "令和6年12月6日"
    assert row["備考"].startswith("移行登録(手続の記録なし)・内容未取込")


def test_conflicts_are_listed_not_overwritten(s):
    rows = sheet_rows()[:3]
    run(s, csv_bytes(rows), "plan.csv")
    changed = [dict(r) for r in rows]
    changed[0]["published_on"] = date(2023, 5, 1)     # another 公表日
    changed[1]["number"] = 77                          # another 評価書番号
    changed[2]["dept"] = "総務課"                       # another department
    done = run(s, csv_bytes(changed), "plan.csv")
    assert [r.action for r in done.rows] == ["conflict", "conflict", "conflict"]
    assert done.rows[0].conflicts == [("公表日", "平成31年1月1日", "令和5年5月1日")]
    assert done.rows[1].conflicts == [("評価書番号", "1", "77")]
    assert done.rows[2].conflicts == [("担当部署", "保険年金課", "総務課")]
    assert {v.published_on for v in s.exec(select(AssessmentVersion)).all()} == {r["published_on"] for r in rows}
    assert sorted(s.exec(select(Assessment.number)).all()) == [1, 1, 2]
    assert "総務課" not in s.exec(select(Department.name)).all()


def test_update_fills_a_blank_submission_date_only(s):
    rows = sheet_rows()[:1]
    rows[0]["submitted_on"] = None
    run(s, csv_bytes(rows), "plan.csv")
    rows[0]["submitted_on"] = date(2018, 12, 20)
    done = run(s, csv_bytes(rows), "plan.csv")
    assert done.rows[0].action == "update"
    assert s.exec(select(AssessmentVersion.submitted_on)).one() == date(2018, 12, 20)
    assert run(s, csv_bytes(rows), "plan.csv").rows[0].action == "unchanged"


def test_new_departments_need_confirmation(s):
    table = planimport.read_table("plan.csv", csv_bytes([sheet_rows()[0], sheet_rows()[2]]))
    shown = planimport.preview(s, actor=records(s), table=table, today=TODAY)
    assert shown.new_departments == ["市民課", "保険年金課"]
    with pytest.raises(ValidationFailed) as exc:
        planimport.apply(s, actor=records(s), table=table, today=TODAY)
    assert "市民課" in exc.value.errors["create_departments"]
    s.rollback()
    assert count(s, Jimu) == 0 and count(s, Department) == 0


def test_row_errors_are_listed_and_the_rest_applied(s):
    data = ("評価書番号,事務の名称,評価の種類,公表日,担当部署\r\n"
            "1,事務A,基礎,令和3年4月1日,市民課\r\n"
            ",事務B,基礎,令和3年4月1日,市民課\r\n"
            "3,事務C,その他,令和3年4月1日,市民課\r\n"
            "4,事務D,基礎,令和9年4月1日,市民課\r\n"
            "5,事務E,基礎,令和3年2月30日,市民課\r\n"
            "6,事務F,基礎,,\r\n"
            "7,事務G,基礎,,市民課\r\n").encode("cp932")
    done = run(s, data, "plan.csv")
    assert [r.action for r in done.rows] == ["create", "error", "error", "error", "error", "error", "create"]
    assert "担当部署がありません" in done.rows[5].details[0]
    assert sorted(s.exec(select(Jimu.name)).all()) == ["事務A", "事務G"]
    g = s.exec(select(AssessmentVersion).join(Assessment).where(Assessment.number == 7)).one()
    assert (g.kind, g.stage) == ("initial", "draft")  # no 公表日: an ordinary working draft, no 移行登録


def test_unknown_header_needs_a_mapping(s):
    data = "番号,事務の名称,区分,公表日,担当部署,連絡先\r\n1,事務A,基礎,R3.4.1,市民課,内線1\r\n".encode()
    table = planimport.read_table("plan.csv", data)
    shown = planimport.preview(s, actor=records(s), table=table, today=TODAY)
    assert [table.headers[i] for i in shown.unknown] == ["区分", "連絡先"] and not shown.ready
    with pytest.raises(ValidationFailed) as exc:
        planimport.apply(s, actor=records(s), table=table, create_departments=True, today=TODAY)
    assert "評価の種類" in exc.value.errors["mapping"]  # the kind is in the unrecognised 区分
    s.rollback()
    chosen = planimport.parse_maps(table.headers, ["区分=評価の種類", "連絡先=取り込まない"])
    done = planimport.apply(s, actor=records(s), table=table, chosen=chosen, create_departments=True, today=TODAY)
    assert done.counts["create"] == 1
    with pytest.raises(ValidationFailed):
        planimport.parse_maps(table.headers, ["区分=なにか"])


def test_staff_may_not_import(s):
    table = planimport.read_table("plan.csv", csv_bytes(sheet_rows()[:1]))
    staff = Actor(user_id=None, login_id="staff", role="staff", organisation_id=records(s).organisation_id,
                  department_ids=frozenset({1}))
    with pytest.raises(Forbidden):
        planimport.preview(s, actor=staff, table=table, today=TODAY)
    with pytest.raises(Forbidden):
        planimport.apply(s, actor=staff, table=table, create_departments=True, today=TODAY)
    assert count(s, Jimu) == 0


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("plan.xlsm", b"PK", "マクロを含むブック"),
    ("plan.xls", b"\xd0\xcf\x11\xe0", "古い形式"),
    ("plan.pdf", b"%PDF", "取り込めるのは"),
    ("plan.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "パスワードで保護"),
    ("plan.xlsx", b"PK\x03\x04broken", "壊れているか"),
    ("plan.xlsx", b"not a zip at all", "壊れているか"),
    ("plan.xlsx", _zip({"xl/vbaProject.bin": b"x", "[Content_Types].xml": b""}), "マクロを含むブック"),
    ("plan.xlsx", _zip({"[Content_Types].xml": b"<x/>"}), "壊れているか"),
    ("plan.csv", b"", "空です"),
    ("plan.csv", b"a,b\r\n1,2\r\n", "見出し行"),
    ("plan.csv", b"\xff\xfe\x00\x00\x81", "文字コード"),
    ("plan.csv", b"x" * (planfile.MAX_BYTES + 1), "大きすぎます"),
])
def test_bad_files_are_refused_with_a_message(s, name, data, message):
    with pytest.raises(planimport.PlanFileError, match=message):
        planimport.read_table(name, data)
    assert count(s, Jimu) == 0


def test_our_own_export_reimports_unchanged(s):
    run(s, csv_bytes(sheet_rows()), "plan.csv")
    _, plan_rows = plan.rows(s, actor=records(s), today=TODAY)
    exported = plan.to_csv(plan_rows)
    done = run(s, exported, "export.csv")
    assert done.counts["unchanged"] == 30, [(r.line.line, r.action, r.details, r.conflicts) for r in done.rows]


def test_migration_label():
    v = AssessmentVersion(id=5, assessment_id=1, form_version="x", kind="migration")
    assert migration.label(v, {5}) == "移行登録(手続の記録なし)・内容未取込"
    assert migration.label(v, set()) == "移行登録(手続の記録なし)"
    assert migration.label(AssessmentVersion(id=6, assessment_id=1, form_version="x"), set()) == ""
