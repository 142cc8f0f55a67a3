"""A municipality's own step is named by its label in every list (issue 19 item 1), never as custom:<key>."""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Assessment, AssessmentVersion, Jimu, Organisation, WorkflowStep


def _at_own_step(engine) -> str:
    """The 国保 全項目's working version moved into the body's own step 「審議会報告」 (as its transition would)."""
    with Session(engine) as s:
        org = s.exec(select(Organisation)).first()
        s.add(WorkflowStep(organisation_id=org.id, key="council_report", label="審議会報告", before="submitted",
                           forms=["full"]))
        a = s.exec(select(Assessment).join(Jimu, Jimu.id == Assessment.jimu_id)
                   .where(Jimu.name == "国民健康保険に関する事務", Assessment.form == "full")).one()
        v = s.exec(select(AssessmentVersion).where(AssessmentVersion.assessment_id == a.id)
                   .order_by(AssessmentVersion.seq.desc())).first()
        v.stage = "custom:council_report"
        s.add(v)
        s.commit()
        return str(a.id)


def test_own_step_is_named_in_the_lists_and_the_queue_filter(browser, demo_engine):
    aid = _at_own_step(demo_engine)
    b = browser.login_as("records")
    listing = b.page("/assessments")
    assert "審議会報告" in listing.get_text() and "custom:" not in listing.get_text()
    overview = b.page(f"/assessments/{aid}")
    assert "審議会報告" in overview.select_one("[data-testid=stage]").get_text()
    assert "custom:" not in overview.get_text()
    queue = b.page("/queue")
    options = {o["value"]: o.get_text() for o in queue.select("select[name=stage] option")}
    assert options.get("custom:council_report") == "審議会報告"
    filtered = b.page("/queue?stage=custom:council_report")
    assert "国民健康保険" in filtered.get_text() and "custom:" not in filtered.select_one("main").get_text()
