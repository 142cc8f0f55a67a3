"""評価書 screens: list, create from a determination, overview, completeness, files."""
from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain.completeness import percent
from app.domain.forms import FORM_LABEL
from app.errors import ValidationFailed
from app.services import (
    assessment_list,
    assessments,
    catalogue,
    completeness,
    determinations,
    migration,
    overview_view,
    register,
)
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import Pager, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/assessments")
def index(request: Request, session: SessionDep, actor: ActorDep, department: str = "", form: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept = int(department) if department.isdigit() else None
    filters = {"department_id": dept, "form": form if form in FORM_LABEL else ""}
    pager = Pager(request, assessment_list.count(session, actor=actor, **filters))
    rows = assessment_list.rows(session, actor=actor, **filters, limit=pager.page.limit, offset=pager.page.offset)
    depts = department_labels(list_departments(session, org.id)) if actor.sees_all else {}
    return render(request, "assessments/index.html", {
        "rows": rows, "pager": pager, "departments": depts, "department": dept, "form": form,
        "KIND": assessment_list.KIND_LABEL, "no_content": migration.without_content(session, [r.version for r in rows]),
        "NO_CONTENT": migration.NO_CONTENT})


def _new_ctx(session, actor, jimu_id: int, errors: dict, data: dict) -> dict:
    jimu = register.get_jimu(session, actor=actor, jimu_id=jimu_id, edit=True)
    det = determinations.latest(session, jimu.id)
    existing = {r.assessment.form: r for r in assessment_list.rows(session, actor=actor, jimu_id=jimu.id)}
    return {"jimu": jimu, "det": det, "offered": assessments.offered_forms(det), "existing": existing,
            "errors": errors, "data": data,
            "suggested": assessments.next_number(session, jimu.organisation_id, jimu.id),
            "versions": {f: catalogue.catalogue().latest(f) for f in FORM_LABEL if catalogue.catalogue().versions(f)}}


@router.get("/jimu/{jimu_id}/assessments/new")
def new(request: Request, jimu_id: int, session: SessionDep, actor: ActorDep) -> Response:
    # ?forms=full: the form chosen on the 事務 / しきい値判断 page (else every required form not created yet)
    chosen = [f for f in request.query_params.getlist("forms") if f in FORM_LABEL]
    return render(request, "assessments/new.html", _new_ctx(session, actor, jimu_id, {}, {"forms": chosen}))


@router.post("/jimu/{jimu_id}/assessments/new")
def create(request: Request, jimu_id: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
           today: TodayDep) -> Response:
    data = {"forms": [str(f) for f in form.getlist("forms")], "number": str(form.get("number", ""))}
    try:
        created = assessments.create(session, actor=actor, jimu_id=jimu_id, forms=data["forms"], number=data["number"],
                                     today=today)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "assessments/new.html", _new_ctx(session, actor, jimu_id, exc.errors, data), status=422)
    names = "・".join(FORM_LABEL[a.form] for a in created)
    return redirect(request, f"/assessments/{created[-1].id}", flash=f"{names}を作成しました。")


@router.get("/assessments/{aid}")
def overview(request: Request, aid: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    return render(request, "assessments/overview.html", overview_view.context(session, actor, aid, today))


@router.get("/versions/{vid}/check")
def check(request: Request, vid: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    d = catalogue.definition(a.form, v.form_version)
    problems, statuses = completeness.evaluate_version(session, v, a, today)
    return render(request, "assessments/check.html", {"v": v, "a": a, "jimu": jimu, "problems": problems,
                                                      "percent": percent(statuses), "d": d})


@router.get("/versions/{vid}/files")
def files_page(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid, edit=True)
    return render(request, "assessments/files.html", _files_ctx(session, v, a, jimu, {}))


def _files_ctx(session, v, a, jimu, errors) -> dict:
    vfiles = assessments.files(session, v.id)
    used = {f.register_file_id for f in vfiles}
    unused = [f for f in register.files_of(session, jimu.id) if f.id not in used]
    return {"v": v, "a": a, "jimu": jimu, "files": vfiles, "unused": unused, "errors": errors,
            "unused_options": [(f.id, f.name) for f in unused]}


@router.post("/versions/{vid}/files")
def files_post(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    op, uid = str(form.get("op", "")), str(form.get("uid", ""))
    assessments.get_version(session, actor=actor, version_id=vid, edit=True)  # 403/409 before the input is read
    try:
        if op not in ("add", "remove", "up", "down", "rename"):
            raise ValidationFailed({"op": "操作を選択してください。"})
        if op == "add":
            assessments.add_file(session, actor=actor, version_id=vid, name=str(form.get("file_name", "")),
                                 register_file_id=str(form.get("register_file_id", "")))
        elif op == "remove":
            assessments.remove_file(session, actor=actor, version_id=vid, uid=uid)
        elif op in ("up", "down"):
            assessments.move_file(session, actor=actor, version_id=vid, uid=uid, direction=op)
        elif op == "rename":
            assessments.rename_file(session, actor=actor, version_id=vid, uid=uid, name=str(form.get("file_name", "")))
    except ValidationFailed as exc:
        session.rollback()
        v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid, edit=True)
        return render(request, "assessments/files.html", _files_ctx(session, v, a, jimu, exc.errors), status=422)
    return redirect(request, f"/versions/{vid}/files", flash="特定個人情報ファイルの構成を更新しました。")
