"""事務 register pages: create with files, validation, scope, optimistic locking, end."""
from __future__ import annotations

from sqlmodel import select

from app.models import AuditLog, Jimu, SpecificFile
from tests.html import parse, text_of


def jimu_form(name="介護保険に関する事務", dept=None, files=None, **extra):
    data = [("name", name), ("department_id", str(dept or "")), ("legal_basis", "介護保険法"), ("status", "active"),
            ("handlers", "600"), ("handlers_as_of", "2026-04-01")]
    for i, (fname, subjects, as_of) in enumerate(files or [("被保険者ファイル", "70000", "2026-04-01"),
                                                            ("給付ファイル", "50000", "2026-04-01")]):
        data += [(f"files-{i}-name", fname), (f"files-{i}-kind", "system"), (f"files-{i}-subjects", subjects),
                 (f"files-{i}-subjects_as_of", as_of)]
    for k, v in extra.items():
        data.append((k, v))
    return data


def dept_id(read, name):
    from app.models import Department
    return read(select(Department.id).where(Department.name == name))[0]


def test_staff_registers_a_jimu_with_two_files(browser, read):
    browser.login_as("shimin")
    page = browser.page("/jimu/new")
    assert page.select_one("#f-name") and page.select_one("#f-files-0-name")
    r = browser.post("/jimu/new", jimu_form(dept=dept_id(read, "市民課")))
    assert r.status_code == 303, r.text[:1000]
    jimu = read(select(Jimu).where(Jimu.name == "介護保険に関する事務"))[0]
    files = read(select(SpecificFile).where(SpecificFile.jimu_id == jimu.id).order_by(SpecificFile.position))
    assert [(f.name, f.subjects) for f in files] == [("被保険者ファイル", 70000), ("給付ファイル", 50000)]
    detail = browser.page(r.headers["location"])
    assert "120,000人" in detail.get_text()
    assert "基礎項目評価及び全項目評価の実施が義務付けられる" in detail.get_text()
    audit = read(select(AuditLog).where(AuditLog.entity == "jimu", AuditLog.entity_id == str(jimu.id)))
    assert audit[0].action == "created" and audit[0].actor_login == "shimin"
    assert audit[0].after["files"][0]["name"] == "被保険者ファイル"


def test_add_file_row_keeps_what_was_typed(browser, read):
    browser.login_as("shimin")
    r = browser.post("/jimu/new", jimu_form(dept=dept_id(read, "市民課")) + [("op", "add_file")])
    page = parse(r.text)
    assert r.status_code == 200
    assert page.select_one("#f-files-2-name") is not None
    assert page.select_one("#f-files-1-name")["value"] == "給付ファイル"
    assert read(select(Jimu).where(Jimu.name == "介護保険に関する事務")) == []


BAD = [
    ({"handlers": "-1"}, "handlers", "負の数"),
    ({"handlers": "abc"}, "handlers", "整数"),
    ({"handlers": "2000000"}, "handlers", "大きすぎます"),
    ({"files-0-subjects": "200000000"}, "files-0-subjects", "大きすぎます"),
    ({"files-0-subjects_as_of": "2099-01-01"}, "files-0-subjects_as_of", "未来の日付"),
    ({"handlers_as_of": "2026-02-30"}, "handlers_as_of", "存在しない日付"),
    ({"name": "  "}, "name", "入力してください"),
    ({"name": "住民基本台帳に関する事務"}, "name", "既に登録されています"),
    ({"name": "住民基本台帳に関する　事務"}, "name", "既に登録されています"),
    ({"name": "事務\x07"}, "name", "制御文字"),
    ({"dedup_subjects": "10"}, "dedup_subjects", "以上にしてください"),
    ({"dedup_subjects": "100000"}, "dedup_note", "算定方法の説明"),
]


def test_bad_input_is_refused_beside_the_field_and_nothing_is_written(browser, read):
    browser.login_as("shimin")
    dept = dept_id(read, "市民課")
    before = len(read(select(Jimu)))
    for changes, field, fragment in BAD:
        data = dict(jimu_form(dept=dept))
        data.update(changes)
        r = browser.post("/jimu/new", list(data.items()))
        assert r.status_code == 422, (changes, r.status_code)
        page = parse(r.text)
        assert fragment in text_of(page, f"#e-{field}"), (changes, page.select_one(".error-summary"))
        assert page.select_one(f".error-summary a[href='#f-{field}']")
    assert len(read(select(Jimu))) == before


def test_staff_cannot_register_for_another_department(browser, read):
    browser.login_as("shimin")
    r = browser.post("/jimu/new", jimu_form(dept=dept_id(read, "市民税課")))
    assert r.status_code == 422 and "所属部署以外" in r.text


def test_other_departments_jimu_is_403_everywhere(browser, read):
    browser.login_as("shimin")
    other = read(select(Jimu).where(Jimu.name == "個人住民税の賦課徴収に関する事務"))[0]
    for url in (f"/jimu/{other.id}", f"/jimu/{other.id}/edit", f"/jimu/{other.id}/threshold"):
        assert browser.get(url).status_code == 403, url
    assert browser.post(f"/jimu/{other.id}/edit", jimu_form(name="乗っ取り")).status_code == 403
    assert browser.post(f"/jimu/{other.id}/end", {"end_date": "2026-01-01", "lock_version": "1"}).status_code == 403
    assert browser.api("GET", f"/api/v1/jimu/{other.id}").status_code == 403
    listed = [j["name"] for j in browser.api("GET", "/api/v1/jimu").json()]
    assert listed == ["住民基本台帳に関する事務"]
    assert read(select(Jimu.name).where(Jimu.id == other.id)) == ["個人住民税の賦課徴収に関する事務"]


def test_council_sees_no_register(browser):
    browser.login_as("council")
    assert browser.get("/jimu/1").status_code == 403
    assert browser.api("GET", "/api/v1/jimu").json() == []


def test_records_sees_all_and_filters_by_department(browser, read):
    browser.login_as("records")
    page = browser.page("/")
    assert len(page.select("#jimu-table tbody tr")) == 4
    dept = dept_id(read, "市民税課")
    page = browser.page(f"/?department={dept}")
    assert [td.get_text(strip=True) for td in page.select("#jimu-table tbody tr td:first-child a")] == \
        ["個人住民税の賦課徴収に関する事務"]


def test_edit_with_stale_version_is_409_and_keeps_the_newer_data(browser, read):
    browser.login_as("shimin")
    jimu = read(select(Jimu).where(Jimu.name == "住民基本台帳に関する事務"))[0]
    page = browser.page(f"/jimu/{jimu.id}/edit")
    form = [(el["name"], el.get("value", "")) for el in page.select("#jimu-form input[name]")
            if el.get("type") != "checkbox" and el["name"] != "csrftoken"]
    form += [(el["name"], (el.select_one("option[selected]") or el.select_one("option"))["value"])
             for el in page.select("#jimu-form select")]
    form += [(el["name"], el.get_text()) for el in page.select("#jimu-form textarea")]
    first = dict(form)
    first["handlers"] = "360"
    r1 = browser.post(f"/jimu/{jimu.id}/edit", list(first.items()))
    assert r1.status_code == 303, parse(r1.text).select_one(".error-summary")
    second = dict(form)
    second["handlers"] = "999"
    r = browser.post(f"/jimu/{jimu.id}/edit", list(second.items()))
    assert r.status_code == 409 and "この事務は、あなたが別の画面で" in r.text  # issue 14 item 11: who and when
    assert read(select(Jimu.handlers).where(Jimu.id == jimu.id)) == [360]


def test_end_a_jimu(browser, read):
    browser.login_as("kodomo")
    jimu = read(select(Jimu).where(Jimu.name == "児童手当の支給に関する事務"))[0]
    r = browser.post(f"/jimu/{jimu.id}/end", {"end_date": "2026-03-31", "lock_version": str(jimu.lock_version)})
    assert r.status_code == 303
    ended = read(select(Jimu).where(Jimu.id == jimu.id))[0]
    assert ended.status == "ended" and ended.end_date.isoformat() == "2026-03-31"
    assert "令和8年3月31日" in browser.page(f"/jimu/{jimu.id}").get_text()
