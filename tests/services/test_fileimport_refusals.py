"""Issue 15 §2/§4: bad files are refused with a Japanese message and nothing written. These tests only read, so
they share one demo database for the module (each checks that nothing was written)."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import Session, func, select

from app.errors import ValidationFailed
from app.models import Answer, AssessmentVersion, UnmappedAnswer
from app.services import fileimport
from tests import dbutil
from tests.services.test_fileimport import _actor, _exported


@pytest.fixture(scope="module")
def db():
    """One demo database for the module (never written: every test here is refused before a write)."""
    engine = dbutil.fresh_engine()
    rows, _ = dbutil.demo_snapshot()
    dbutil.load_rows(engine, rows)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    if not dbutil.is_postgres():
        dbutil.dispose(engine)


@pytest.fixture(autouse=True)
def _fresh_transaction(db):
    yield
    db.rollback()


def _counts(db):
    return (db.exec(select(func.count()).select_from(Answer)).one(),
            db.exec(select(func.count()).select_from(AssessmentVersion)).one(),
            db.exec(select(func.count()).select_from(UnmappedAnswer)).one())


def _docx_with(extra: dict[str, bytes]) -> bytes:
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info, src.read(info))
        for name, data in extra.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "words"), [
    ("a.docx", fileimport.OLE_MAGIC + b"\0" * 600, "パスワード"),
    ("a.xlsx", fileimport.OLE_MAGIC + b"\0" * 600, "パスワード"),
    ("a.docm", b"PK", "マクロ"),
    ("a.xlsm", b"PK", "マクロ"),
    ("a.doc", b"x", "97-2003"),
    ("a.docx", b"this is not a zip", "壊れている"),
    ("a.pdf", b"not a pdf", "PDF"),
    ("a.zip", b"PK", "取り込めるのは"),
    ("a.docx", b"", "空"),
])
def test_bad_files_are_refused(db, name, data, words):
    before = _counts(db)
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name=name, data=data, form="basic", into=4)
    assert words in exc.value.errors["file"] and "何も取り込んでいません" in exc.value.errors["file"]
    assert _counts(db) == before


def test_macro_inside_a_docx_is_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name="a.docx", data=_docx_with({"word/vbaProject.bin": b"x"}),
                               form="basic", into=4)
    assert "マクロ" in exc.value.errors["file"]


def test_oversized_file_is_refused(db, monkeypatch):
    monkeypatch.setattr(fileimport.formfiles, "MAX_BYTES", 1000)
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name="a.docx", data=b"PK" + b"0" * 2000, form="basic", into=4)
    assert "大きすぎます" in exc.value.errors["file"]


def test_a_file_of_another_form_is_refused(db):
    data = _exported(db, 5)        # 全項目評価書
    before = _counts(db)
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name="a.docx", data=data, form="basic", into=4)
    assert "全項目評価書です" in exc.value.errors["file"]
    assert _counts(db) == before


def test_a_file_with_another_number_is_refused(db):
    data = _exported(db, 1)        # 基礎項目評価書 番号 3 (児童手当)
    before = _counts(db)
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name="a.docx", data=data, form="basic", into=4)   # 番号 4
    assert "評価書番号(3)が取り込み先の評価書番号(4)と異なります" in exc.value.errors["file"]
    assert _counts(db) == before


def test_a_text_file_of_nothing_is_refused(db):
    with pytest.raises(ValidationFailed) as exc:
        fileimport.import_file(db, actor=_actor(), name="a.txt", data="こんにちは\n".encode(), form="basic", into=4)
    assert "項目が一つも見つかりません" in exc.value.errors["file"]


def test_nothing_written_when_a_file_is_refused_session_is_clean(db):
    with Session(db.get_bind()) as s:
        assert s.exec(select(func.count()).select_from(UnmappedAnswer)).one() == 0
