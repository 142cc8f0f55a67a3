"""The editor page and a save issue the same number of SQL statements however many files or measures there are."""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Answer, Assessment, Jimu, VersionFile
from app.querycount import count_queries
from tests.factories import page_form, replace, version_of


def kokuho(read):
    jid = read(select(Jimu.id).where(Jimu.name == "国民健康保険に関する事務"))[0]
    aid = read(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full"))[0]
    return aid, version_of(read, aid)


def counts(browser, engine, v, uid):
    url = f"/versions/{v.id}/edit/III~III.3?file={uid}"
    with count_queries(engine) as page_q:
        assert browser.get(url).status_code == 200
    pairs, action = page_form(browser, url)
    current = dict(pairs).get("m|III.3.r1.atena|staff", "")
    with count_queries(engine) as save_q:
        r = browser.post(action, replace(pairs, "m|III.3.r1.atena|staff", current + "。"), headers={"HX-Request": "true"})
        assert r.status_code == 200, r.text[:300]
    return page_q.count, save_q.count


def test_queries_do_not_grow_with_files_and_measures(browser, read, demo_engine):
    browser.login_as("hoken")
    _aid, v = kokuho(read)
    uid = read(select(VersionFile.uid).where(VersionFile.version_id == v.id).order_by(VersionFile.position))[0]
    before = counts(browser, demo_engine, v, uid)
    # three more files and forty more measures in every measures item of the first file
    for n in range(3):
        r = browser.post(f"/versions/{v.id}/files", {"op": "add", "file_name": f"追加ファイル{n}"})
        assert r.status_code == 303
    with Session(demo_engine) as s:
        for row in s.exec(select(Answer).where(Answer.version_id == v.id, Answer.file_uid == uid)).all():
            if isinstance(row.value, dict) and "staff" in row.value:
                row.value = {**row.value, "external": row.value["external"] + [{"id": f"x{i}", "text": f"追加{i}"} for i in range(20)],
                             "staff": row.value["staff"] + [{"id": f"y{i}", "text": f"追加{i}"} for i in range(20)]}
                s.add(row)
        s.commit()
    after = counts(browser, demo_engine, v, uid)
    assert before == after, (before, after)
    # the page: 21, the save: 13 since issue 18 (each row read once per request: app/services/memo.py; the save
    # reads the page's 共通記載 uses once and the improvement actions only when the page posts some)
    assert after[0] <= 21 and after[1] <= 13, after
