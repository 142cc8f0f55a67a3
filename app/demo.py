"""Demo data for `make run` and the tests: a fictional city (しののめ市, 人口 約40万人, 地方公共団体等).

All names and text are fictional and written for this project.
"""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.domain.policy import SYSTEM, Actor
from app.models import Department, Jimu, Organisation
from app.services import determinations, library, register
from app.services import organisation as orgs
from app.services.determinations import WizardInput
from app.services.register import FileInput, JimuInput

ORG_NAME = "しののめ市長"
# (login, password, role, display name, departments)
ACCOUNTS = [
    ("admin", "Kanri-Demo-2025", "admin", "情報政策課 管理者", []),
    ("records", "Bunsho-Demo-2025", "records", "総務課 文書担当 佐藤", ["総務課"]),
    ("shimin", "Juki-Demo-2025", "staff", "市民課 住民記録係 鈴木", ["市民課"]),
    ("zeimu", "Kazei-Demo-2025", "staff", "市民税課 課税係 高橋", ["市民税課"]),
    ("kodomo", "Teate-Demo-2025", "staff", "こども家庭課 手当係 田中", ["こども家庭課"]),
    ("hoken", "Kokuho-Demo-2025", "staff", "保険年金課 国保係 伊藤", ["保険年金課"]),
    ("council", "Shingi-Demo-2025", "council", "個人情報保護審議会 委員 渡辺", []),
]
DEPARTMENTS = [
    ("総務部", None), ("総務課", "総務部"), ("情報政策課", "総務部"),
    ("市民部", None), ("市民課", "市民部"), ("保険年金課", "市民部"),
    ("財務部", None), ("市民税課", "財務部"),
    ("こども未来部", None), ("こども家庭課", "こども未来部"),
]

JIMU = [
    {
        "name": "住民基本台帳に関する事務", "department": "市民課", "handlers": 350, "handlers_as_of": "2025-04-01",
        "legal_basis": "住民基本台帳法、行政手続における特定の個人を識別するための番号の利用等に関する法律(番号法)第7条、第9条第1項 別表 項番…",
        "dedup_subjects": 418_000, "dedup_note": "3ファイルに共通して記録される住民を住民票コードで名寄せし、重複を除いた人数(除票を含む)。",
        "files": [("住民基本台帳ファイル", 418_000), ("本人確認情報ファイル", 412_000), ("送付先情報ファイル", 405_000)],
        "as_of": "2025-04-01", "determined_on": "2025-04-10",
    },
    {
        "name": "個人住民税の賦課徴収に関する事務", "department": "市民税課", "handlers": 180, "handlers_as_of": "2025-04-01",
        "legal_basis": "地方税法、番号法第9条第1項 別表 項番…", "files": [("個人住民税ファイル", 236_000)],
        "as_of": "2025-04-01", "determined_on": "2025-04-15",
    },
    {
        "name": "児童手当の支給に関する事務", "department": "こども家庭課", "handlers": 45, "handlers_as_of": "2025-04-01",
        "legal_basis": "児童手当法、番号法第9条第1項 別表 項番…", "files": [("児童手当ファイル", 48_500)],
        "as_of": "2025-04-01", "determined_on": "2025-04-20",
    },
    {
        "name": "国民健康保険に関する事務", "department": "保険年金課", "handlers": 520, "handlers_as_of": "2025-10-01",
        "legal_basis": "国民健康保険法、番号法第9条第1項 別表 項番…",
        "files": [("国民健康保険資格ファイル", 152_000), ("国民健康保険給付ファイル", 98_000)],
        "dedup_subjects": 152_000, "dedup_note": "給付ファイルの対象者はすべて資格ファイルに含まれるため、資格ファイルの人数とした。",
        "as_of": "2025-10-01", "determined_on": "2025-10-15",
    },
]


def load_demo(session: Session, *, today: date | None = None) -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo once; return (created, accounts)."""
    accounts = [(a[0], a[1], a[2]) for a in ACCOUNTS]
    if session.exec(select(Organisation).where(Organisation.name == ORG_NAME)).first():
        return False, accounts
    today = today or date.today()
    org = Organisation(name=ORG_NAME, kind="local", municipality="しののめ市", representative="しののめ市長 東雲 太郎")
    session.add(org)
    session.commit()
    depts: dict[str, Department] = {}
    for name, parent in DEPARTMENTS:
        depts[name] = orgs.create_department(session, actor=SYSTEM, organisation_id=org.id, name=name,
                                             parent_id=depts[parent].id if parent else None)
    for login, password, role, display, dnames in ACCOUNTS:
        orgs.create_user(session, actor=SYSTEM, organisation_id=org.id, login_id=login, display_name=display, role=role,
                         password=password, department_ids=[depts[d].id for d in dnames])
    actor = Actor(user_id=None, login_id="demo", role="system", organisation_id=org.id)
    for spec in JIMU:
        _jimu(session, actor, org, depts, spec, today)
    library.seed(session, organisation_id=org.id)
    return True, accounts


def _jimu(session: Session, actor: Actor, org: Organisation, depts: dict, spec: dict, today: date) -> Jimu:
    data = JimuInput(
        name=spec["name"], department_id=str(depts[spec["department"]].id), legal_basis=spec["legal_basis"],
        handlers=str(spec["handlers"]), handlers_as_of=spec["handlers_as_of"],
        dedup_subjects=str(spec.get("dedup_subjects", "")), dedup_note=spec.get("dedup_note", ""),
        files=[FileInput(name=n, subjects=str(s), subjects_as_of=spec["as_of"]) for n, s in spec["files"]],
    )
    jimu = register.create(session, actor=actor, organisation_id=org.id, data=data, today=today)
    on = min(date.fromisoformat(spec["determined_on"]), today)
    reg = determinations.inputs_for(jimu, register.files_of(session, jimu.id), [], org, on)
    determinations.record(session, actor=actor, jimu_id=jimu.id, today=today, data=WizardInput(
        determined_on=on.isoformat(), subjects=str(reg.subjects), handlers=str(reg.handlers), serious_incident="no",
    ))
    return jimu
