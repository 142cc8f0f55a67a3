from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.domain.policy import SYSTEM
from app.models import Jimu, Organisation
from app.services import assessments, catalogue
from tests.fill import fill


@pytest.fixture
def system(db):
    org = db.exec(select(Organisation)).first()
    return SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})


@pytest.fixture
def full_version(db, system):
    """A 全項目評価書 for 住民基本台帳 (3 files) with every item answered."""
    jimu = db.exec(select(Jimu).where(Jimu.name == "住民基本台帳に関する事務")).one()
    existing = [a for a in assessments_of(db, jimu.id) if a.form == "full"]
    a = existing[0] if existing else next(x for x in assessments.create(db, actor=system, jimu_id=jimu.id,
                                                                    forms=["basic", "full"], today=date(2026, 11, 23))
                                      if x.form == "full")
    v = assessments.current_version(db, a.id)
    if v.frozen:
        v.frozen, v.stage = False, "draft"
        db.add(v)
        db.commit()
    written = fill(db, catalogue.definition("full", v.form_version), v.id)
    return v, written


def assessments_of(db, jimu_id):
    from app.models import Assessment

    return db.exec(select(Assessment).where(Assessment.jimu_id == jimu_id)).all()
