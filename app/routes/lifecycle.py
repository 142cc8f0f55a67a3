"""After publication: 改訂, the 変更箇所 page (※ questions, generated rows, merge), 見直し, due dates, ICS."""
from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import changes as diffs
from app.domain import deadlines, workflow
from app.domain.policy import can_manage_register_settings
from app.domain.wareki import BadDate, parse_date
from app.downloads import send
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services import annual, assessments, calendar, catalogue, changes, due, exports, revisions
from app.services.assessment_list import KIND_LABEL
from app.services.organisation import department_labels, get_organisation, list_departments
from app.web import TOKYO, Pager, posted_version, redirect, render

router = APIRouter(include_in_schema=False)


def _day(raw: str, label: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return parse_date(raw, label=label)
    except BadDate as exc:
        raise ValidationFailed({"planned_change_on": str(exc)}) from None


@router.post("/assessments/{aid}/revise")
def revise(request: Request, aid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        v = revisions.revise(session, actor=actor, assessment_id=aid, reason=str(form.get("reason", "")),
                             form_version=str(form.get("form_version", "")),
                             planned_change_on=_day(str(form.get("planned_change_on", "")), "変更予定日"))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        msg = " ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else exc.message
        return redirect(request, f"/assessments/{aid}", flash=f"改訂できませんでした: {msg}")
    return redirect(request, f"/versions/{v.id}/changes", flash=f"第{v.seq}版(作業中)を作成しました。")


def _changes_ctx(session, actor, vid: int, errors=None) -> dict:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    found = revisions.pending(session, v, a)
    base = assessments.version_row(session, v.based_on_id)
    all_rows = changes.rows_of(session, a.id)
    opened_by = annual.opened(session, v.id)
    return {"v": v, "a": a, "jimu": jimu, "found": found, "classes": revisions.classes(session, v.id),
            "CLASSES": diffs.CLASSES, "base": base, "rows": [r for r in all_rows if r.version_seq == v.seq],
            "earlier": [r for r in all_rows if r.version_seq < v.seq], "covered": revisions.covered_keys(session, a.id, v.seq),
            "unmapped": revisions.unmapped(session, v.id), "REASONS": revisions.REASONS, "KIND": KIND_LABEL,
            "key_of": diffs.class_key, "errors": errors or {}, "editable": not v.frozen and workflow.editable(v.stage),
            "opened_by": opened_by, "OUTCOMES": annual.OUTCOMES, "STATUS": annual.STATUS,
            "opened_findings": annual.shortfalls(session, opened_by.id) if opened_by else [],
            "FV": catalogue.version_labels(session, a.form)}


@router.get("/versions/{vid}/changes")
def changes_page(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "lifecycle/changes.html", _changes_ctx(session, actor, vid))


@router.get("/versions/{vid}/history")
def history(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    """One version's procedure history and saved documents (the 評価書 page shows the current version's)."""
    from app.services import procedure, snapshots

    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    custom = procedure.custom_steps(session, a.organisation_id)
    return render(request, "lifecycle/history.html", {
        "v": v, "a": a, "jimu": jimu, "KIND": KIND_LABEL, "REASONS": revisions.REASONS,
        "FV": catalogue.version_labels(session, a.form),
        "timeline": procedure.timeline_rows(session, v.id, custom), "label_of": lambda st: workflow.stage_label(st, custom),
        "snapshots": snapshots.of_version(session, v.id), "PURPOSE": snapshots.PURPOSE_LABEL})


@router.post("/versions/{vid}/classify")
def classify(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        kind = revisions.classify(session, actor=actor, version_id=vid, file_uid=str(form.get("file", "")),
                                  item_id=str(form.get("item", "")), cls=str(form.get("cls", "")))
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{vid}/changes", flash=" ".join(exc.errors.values()))
    label = "再実施" if kind == "reassessment" else "修正"
    if request.headers.get("HX-Request"):
        return render(request, "lifecycle/_classified.html", {"cls": diffs.CLASSES[str(form.get("cls"))], "kind": label,
                                                              "dom": str(form.get("dom", ""))})
    return redirect(request, f"/versions/{vid}/changes", flash=f"変更の区分を記録しました(この版は「{label}」です)。")


@router.post("/versions/{vid}/changes/generate")
def generate(request: Request, vid: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    try:
        n = revisions.generate_rows(session, actor=actor, version_id=vid, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{vid}/changes", flash=" ".join(exc.errors.values()))
    return redirect(request, f"/versions/{vid}/changes", flash=f"公表済みの版との差分から変更箇所を{n}件作成しました。")


@router.post("/versions/{vid}/changes/merge")
def merge(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    _v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    try:
        revisions.merge_rows(session, actor=actor, assessment_id=a.id,
                             row_ids=[int(x) for x in form.getlist("row") if str(x).isdigit()])
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{vid}/changes", flash=" ".join(exc.errors.values()))
    return redirect(request, f"/versions/{vid}/changes", flash="変更箇所をまとめました。")


@router.post("/versions/{vid}/changes/row")
def save_row(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
             today: TodayDep) -> Response:
    _v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    data = {k: str(form.get(k, "")) for k in ("id", "changed_on", "item_label", "before_text", "after_text", "timing",
                                               "timing_note", "delete")}
    try:
        changes.save_row(session, actor=actor, assessment_id=a.id, data=data, today=today)
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{vid}/changes", flash="保存できませんでした: " + " ".join(exc.errors.values()))
    return redirect(request, f"/versions/{vid}/changes", flash="変更箇所を保存しました。")


@router.post("/versions/{vid}/planned")
def planned(request: Request, vid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
            today: TodayDep) -> Response:
    try:
        revisions.set_planned_change(session, actor=actor, version_id=vid, today=today,
                                     planned_change_on=_day(str(form.get("planned_change_on", "")), "変更予定日"))
    except ValidationFailed as exc:
        session.rollback()
        return redirect(request, f"/versions/{vid}/changes", flash=" ".join(exc.errors.values()))
    return redirect(request, f"/versions/{vid}/changes", flash="変更予定日を保存しました。")


@router.post("/unmapped/{uid}/resolve")
def resolve(request: Request, uid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        row = revisions.resolve_unmapped(session, actor=actor, unmapped_id=uid,
                                         resolution=str(form.get("resolution", "")))
    except ValidationFailed as exc:
        session.rollback()
        back = revisions.unmapped_version(session, uid)
        return redirect(request, f"/versions/{back}/changes" if back else "/assessments",
                        flash=" ".join(exc.errors.values()))
    return redirect(request, f"/versions/{row.version_id}/changes", flash="移行の確認を記録しました。")


@router.post("/assessments/{aid}/annual-reviews")
def start_review(request: Request, aid: int, session: WriteSessionDep, actor: ActorDep, today: TodayDep) -> Response:
    try:
        review = annual.start(session, actor=actor, assessment_id=aid, today=today)
    except Conflict as exc:
        session.rollback()
        return redirect(request, f"/assessments/{aid}#lifecycle", flash=exc.message)
    return redirect(request, f"/annual-reviews/{review.id}")


def _review_ctx(session, actor, rid: int, errors=None, data=None, open_group: str = "") -> dict:
    review, checks = annual.get(session, actor=actor, review_id=rid)
    a, jimu = assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    parts = annual.outline(session, review, checks)
    errors = errors or {}
    failing = next((int(k.split("-", 1)[1]) for k in errors if k.startswith(("status-", "note-"))), None)
    if failing is not None:  # the group with the first error is the one shown open
        open_group = next((g.slug for g in annual.groups_of(parts) if any(c.id == failing for c in g.checks)), open_group)
    return {"review": review, "checks": checks, "a": a, "jimu": jimu, "STATUS": annual.STATUS,
            "OUTCOMES": annual.OUTCOMES, "errors": errors, "data": data or {}, "parts": parts,
            "opened": annual.open_group(parts, open_group),
            "reviewed": assessments.version_row(session, review.version_id),
            "editable": review.completed_on is None and annual.can_edit(session, actor=actor, review=review)}


@router.get("/annual-reviews/{rid}")
def review_page(request: Request, rid: int, session: SessionDep, actor: ActorDep, open: str = "") -> Response:
    return render(request, "lifecycle/review.html", _review_ctx(session, actor, rid, open_group=open))


def _answers(form) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    answers, locks = {}, {}
    for key in form:
        if key.startswith("status-") and key[7:].isdigit():
            cid = int(key[7:])
            answers[cid] = (str(form.get(key, "")), str(form.get(f"note-{cid}", "")))
            locks[cid] = posted_version(form, f"lock-{cid}")
    return answers, locks


@router.post("/annual-reviews/{rid}")
def review_post(request: Request, rid: int, form: FormDep, session: WriteSessionDep, actor: ActorDep,
                today: TodayDep) -> Response:
    """A group's 「この区分の回答を保存する」 (the page without JavaScript), or 「見直しを完了する」."""
    answers, locks = _answers(form)
    slug = str(form.get("group", ""))
    try:
        if answers:
            annual.save_answers(session, actor=actor, review_id=rid, answers=answers, locks=locks)
        if form.get("complete") == "1":
            review = annual.complete(session, actor=actor, review_id=rid, outcome=str(form.get("outcome")),
                                     findings=str(form.get("findings", "")), completed_on=str(form.get("completed_on", "")),
                                     today=today)
            if review.next_version_id:
                return redirect(request, f"/versions/{review.next_version_id}/changes",
                                flash="見直しを完了し、所見を添えて次の版を作成しました。")
            return redirect(request, f"/annual-reviews/{rid}", flash="見直しを完了しました(変更なし)。")
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"review": exc.message}
        data = {k: str(form.get(k, "")) for k in ("outcome", "findings", "completed_on")}
        data.update({k: str(v) for k, v in form.items() if k.startswith(("status-", "note-"))})
        return render(request, "lifecycle/review.html", _review_ctx(session, actor, rid, errors, data, slug),
                      status=exc.status)
    review, checks = annual.get(session, actor=actor, review_id=rid)
    group = next((g for g in annual.groups_of(annual.outline(session, review, checks)) if g.slug == slug), None)
    if group is None:
        return redirect(request, f"/annual-reviews/{rid}", flash="回答を保存しました。")
    where = f"?open={group.slug}#g-{group.slug}" if group.unanswered else ""  # a finished group: on to the next
    return redirect(request, f"/annual-reviews/{rid}{where}",
                    flash=f"{group.full_title}の回答を保存しました({group.total}項目中 {group.answered}項目 確認済)。")


def _review_parts(session, actor, rid: int, *, slug: str = "", check: int | None = None):
    """The review's outline after a change, and the part and group that hold `slug` (or the question `check`)."""
    review, checks = annual.get(session, actor=actor, review_id=rid)
    parts = annual.outline(session, review, checks)
    for part in parts:
        for group in part.groups:
            if group.slug == slug or any(c.id == check for c in group.checks):
                return review, parts, part, group
    raise NotFound("見直しの区分が見つかりません。")


@router.post("/annual-reviews/{rid}/checks/{cid}")
def review_check_save(request: Request, rid: int, cid: int, form: FormDep, session: WriteSessionDep,
                      actor: ActorDep) -> Response:
    """Autosave of one answer (the dropdown or the memo of one question)."""
    htmx = bool(request.headers.get("HX-Request"))
    try:
        check, changed = annual.save_check(session, actor=actor, review_id=rid, check_id=cid,
                                     status=str(form.get(f"status-{cid}", "")), note=str(form.get(f"note-{cid}", "")),
                                     lock_version=posted_version(form, f"lock-{cid}"))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        if not htmx:
            errors = exc.errors if isinstance(exc, ValidationFailed) else {"review": exc.message}
            return render(request, "lifecycle/review.html", _review_ctx(session, actor, rid, errors), status=exc.status)
        review, checks = annual.get(session, actor=actor, review_id=rid)
        check = next(c for c in checks if c.id == cid)
        reload = ""
        if isinstance(exc, ValidationFailed):
            message = " ".join(exc.errors.values()) + "(未保存)"
        else:
            message = f"保存できませんでした。{exc.message}"
            _, _, _, group = _review_parts(session, actor, rid, check=cid)
            reload = f"/annual-reviews/{rid}?open={group.slug}#check-{cid}"
        return render(request, "lifecycle/_review_saved.html", {"failed": True, "check": check, "message": message,
                                                               "reload": reload}, status=exc.status)
    if not htmx:
        return redirect(request, f"/annual-reviews/{rid}", flash="回答を保存しました。")
    review, parts, part, group = _review_parts(session, actor, rid, check=cid)
    return render(request, "lifecycle/_review_saved.html", {
        "failed": False, "check": check, "review": review, "parts": parts, "part": part, "group": group,
        "changed": changed, "saved_at": datetime.now(TOKYO).strftime("%H:%M")})


def _bulk_page(request, session, actor, rid: int, group, *, confirm: bool = True, message: str = "",
               status: int = 200) -> Response:
    review, _ = annual.get(session, actor=actor, review_id=rid)
    if request.headers.get("HX-Request"):  # in place of the group's button (also when the POST was refused)
        return render(request, "lifecycle/_review_bulk.html", {"review": review, "group": group, "confirm": confirm,
                                                              "message": message}, status=status,
                      headers={"HX-Retarget": f"#bulk-{group.slug}", "HX-Reswap": "outerHTML"})
    a, jimu = assessments.get(session, actor=actor, assessment_id=review.assessment_id)
    return render(request, "lifecycle/review_bulk.html", {"review": review, "group": group, "a": a, "jimu": jimu,
                                                         "message": message}, status=status)


@router.get("/annual-reviews/{rid}/groups/{group}/bulk")
def review_bulk_confirm(request: Request, rid: int, group: str, session: SessionDep, actor: ActorDep,
                        cancel: str = "") -> Response:
    """The confirmation of a group's bulk action: names the group and the count (inline with htmx, else a page)."""
    try:
        found = annual.bulk_preview(session, actor=actor, review_id=rid, slug=group)
    except Conflict as exc:
        return redirect(request, f"/annual-reviews/{rid}", flash=exc.message)
    return _bulk_page(request, session, actor, rid, found, confirm=not cancel)


@router.post("/annual-reviews/{rid}/groups/{group}/bulk")
def review_bulk(request: Request, rid: int, group: str, form: FormDep, session: WriteSessionDep,
                actor: ActorDep) -> Response:
    """A group's unanswered questions 「実施中」 at once, with the count the user confirmed."""
    try:
        done, n = annual.mark_group(session, actor=actor, review_id=rid, slug=group,
                                    confirmed=form.get("confirm_count"))
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        message = " ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else exc.message
        review, checks = annual.get(session, actor=actor, review_id=rid)
        if review.completed_on:
            raise
        found = annual.find_group(session, review, checks, group)
        return _bulk_page(request, session, actor, rid, found, message=message, status=exc.status)
    flash = f"{done.full_title}の未回答{n}件を「実施中」にしました。"
    if not request.headers.get("HX-Request"):
        return redirect(request, f"/annual-reviews/{rid}", flash=flash)
    review, parts, part, found = _review_parts(session, actor, rid, slug=group)
    return render(request, "lifecycle/_review_group.html", {"review": review, "parts": parts, "part": part,
                                                           "group": found, "STATUS": annual.STATUS, "done": flash})


@router.get("/annual-reviews/{rid}/report.docx")
def review_report(request: Request, rid: int, session: SessionDep, actor: ActorDep) -> Response:
    name, data = annual.report_docx(session, actor=actor, review_id=rid)
    return send(request, actor, content=data, media_type=exports.DOCX_TYPE, filename=name, entity="annual_review",
                entity_id=rid, what="年次点検報告", fmt="docx")


@router.get("/dashboard")
def deadlines_page(request: Request, session: SessionDep, actor: ActorDep, today: TodayDep,
                   department: str = "", only: str = "") -> Response:
    org = get_organisation(session, actor.organisation_id)
    dept = int(department) if department.isdigit() else None
    # the figures over every 評価書 from aggregates; the rows of one page in full
    figures = due.overview(session, actor=actor, today=today, department_id=dept)
    listed = figures.attention if only == "attention" else figures.ids
    pager = Pager(request, len(listed))
    if only == "attention":  # the page's ids from the figures; its rows are read by id
        page_ids = listed[pager.page.offset:pager.page.offset + pager.page.limit]
        shown = due.rows(session, actor=actor, today=today, department_id=dept, assessment_ids=page_ids) \
            if page_ids else []
    else:
        shown = due.rows(session, actor=actor, today=today, department_id=dept, limit=pager.page.limit,
                         offset=pager.page.offset)
    return render(request, "lifecycle/dashboard.html", {
        "rows": shown, "pager": pager, "counts": figures.counts, "today": today, "department": dept, "only": only,
        "STATUS_LABEL": deadlines.STATUS_LABEL, "KIND": KIND_LABEL,
        "departments": department_labels(list_departments(session, org.id)) if actor.sees_all else {}})


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep, today: TodayDep) -> Response:
    data = calendar.feed(session, token=token, today=today)
    if data is None:
        raise NotFound("カレンダーが見つかりません(URLが失効している可能性があります)。")
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="spia.ics"'})


def _checklist_ctx(session, actor, errors=None) -> dict:
    return {"items": annual.checklist(session, actor.organisation_id, active_only=False), "errors": errors or {},
            "can_manage": can_manage_register_settings(actor)}


@router.get("/admin/checklist")
def checklist_page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    if not can_manage_register_settings(actor):
        raise Forbidden("見直しのチェックリストは総務・文書担当と管理者が管理します。")
    return render(request, "lifecycle/checklist.html", _checklist_ctx(session, actor))


@router.post("/admin/checklist")
def checklist_post(request: Request, form: FormDep, session: WriteSessionDep, actor: ActorDep) -> Response:
    try:
        annual.save_checklist_item(session, actor=actor, text=str(form.get("text", "")),
                                   item_id=int(form.get("id")) if str(form.get("id", "")).isdigit() else None,
                                   active=form.get("active", "1") == "1", lock_version=posted_version(form))
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "lifecycle/checklist.html", _checklist_ctx(session, actor, exc.errors), status=422)
    return redirect(request, "/admin/checklist", flash="チェックリストを更新しました。")
