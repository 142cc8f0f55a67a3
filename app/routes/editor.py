"""The guided editor: one page of the form at a time, autosave, optimistic locking, structural operations."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.deps import ActorDep, FormDep, SessionDep, TodayDep, WriteSessionDep
from app.domain import blocks as B
from app.domain import conflicts
from app.domain import fields as F
from app.domain.answer_text import answer_text
from app.domain.answers import parse_page, skip_reason
from app.domain.changes import CLASSES
from app.domain.forms import FORM_LABEL
from app.errors import Conflict, NotFound, ValidationFailed
from app.services import answers as answer_service
from app.services import assessments, editor, figures, library, revisions, text_blocks, unmapped
from app.web import TOKYO, redirect, render

router = APIRouter(include_in_schema=False)


def _page_url(vid: int, page_id: str, uid: str) -> str:
    return f"/versions/{vid}/edit/{page_id}" + (f"?file={uid}" if uid else "")


def _ctx(session, actor, E: editor.EditorContext, **extra) -> dict:
    urls = [_page_url(E.version.id, o.page.id, o.file.uid if o.file else "") for o in E.outline]
    here = _page_url(E.version.id, E.page.id, E.file.uid if E.file else "")
    idx = urls.index(here) if here in urls else 0
    lib: dict[str, list] = {}  # the library, read when the page first shows a list of measures (issue 18)

    def library_for(item_id: str, audience: str) -> list:
        if "rows" not in lib:
            lib["rows"] = library.search(session, actor=actor) if E.editable else []
        risk = E.definition.risk_of(item_id)
        rows = [r for r in lib["rows"] if r.audience == audience]
        matching = [r for r in rows if risk in (r.risks or [])]
        return matching or [r for r in rows if "general" in (r.risks or [])]

    def row_skip(child_id: str, row: dict) -> str | None:
        return skip_reason(E.definition, child_id, {**E.values, **row})

    uses = text_blocks.editor_uses(session, E.version.id, E.file.uid if E.file else "")
    choices = text_blocks.all_of(session, actor=actor, include_inactive=False) if E.editable else []

    def blocks_for(item, item_uses: list) -> list:
        return [b for b in choices if B.usable(b.kind, item.type) and b.id not in {x.id for _, x in item_uses}]

    questions = revisions.page_questions(session, E.version, E.assessment, E.page, E.file.uid if E.file else "") \
        if E.editable else []
    blocks = {"block_uses": uses, "blocks_for": blocks_for, "block_fixed": lambda i: text_blocks.fixed_measures(
        uses.get(i, [])), "block_held": lambda b, v, u: B.held_text(b.kind, v, u.entries or {}),
        "block_text": B.block_text, "inline_diff": B.inline_diff, "LEVELS": B.LEVELS}
    return {"E": E, "FORM_LABEL": FORM_LABEL, "library_for": library_for,
            "unmapped_open": unmapped.open_count(session, E.version.id), "row_skip": row_skip, "title": E.page.title,
            **blocks,
            "questions": questions, "CLASSES": CLASSES,
            "prev_page": urls[idx - 1] if idx > 0 else None, "next_page": urls[idx + 1] if idx + 1 < len(urls) else None,
            **extra}


def _load(session, actor, vid: int, page_id: str, file: str, today, *, edit_check: bool = True,
          overrides: dict | None = None, errors: dict | None = None) -> editor.EditorContext:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid)
    editable = assessments.editability(actor, jimu, v)
    try:
        E = editor.build(session, version=v, assessment=a, jimu=jimu, page_id=page_id, file_uid=file, today=today,
                         editable=editable.ok, overrides=overrides)
    except KeyError:
        raise NotFound("編集ページが見つかりません。") from None
    if E.page.scope == "file" and E.file is None:
        raise NotFound("特定個人情報ファイルを指定してください。")
    E.errors = errors or {}
    E.readonly_reason = editable.reason
    return E


@router.get("/versions/{vid}/edit")
def first(request: Request, vid: int, session: SessionDep, actor: ActorDep) -> Response:
    v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    d = answer_service.version_definition(v, a.form)
    page_id, uid = editor.first_page(d, assessments.files(session, v.id))
    return redirect(request, _page_url(vid, page_id, uid))


@router.get("/versions/{vid}/edit/{page_id}")
def page(request: Request, vid: int, page_id: str, session: SessionDep, actor: ActorDep, today: TodayDep,
         file: str = "") -> Response:
    E = _load(session, actor, vid, page_id, file, today)
    return render(request, "assessments/edit.html", _ctx(session, actor, E))


def _multidict(form) -> dict[str, list[str]]:
    """{name: [values]} in one pass (getlist per name is quadratic: a page of repeating groups posts thousands)."""
    out: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        values = out.setdefault(k, [])
        if not isinstance(v, UploadFile):
            values.append(str(v))
    return out


def _upload(form, op: str) -> tuple[bytes | None, str]:
    """The picture and caption posted with 「図を追加」 (figadd|item), read up to one byte over the limit."""
    parsed = F.parse_op(op)
    if parsed is None or parsed.kind != "figadd":
        return None, ""
    f = form.get(F.name(F.FIGURE_UPLOAD, parsed.item))
    data = f.file.read(figures.MAX_UPLOAD_BYTES + 1) if isinstance(f, UploadFile) else None
    return data, str(form.get(F.name(F.FIGURE_NEW_CAPTION, parsed.item)) or "")


@router.post("/versions/{vid}/edit/{page_id}")
def save(request: Request, vid: int, page_id: str, form: FormDep, session: WriteSessionDep, actor: ActorDep,
         today: TodayDep, file: str = "") -> Response:
    v, a, jimu = assessments.get_version(session, actor=actor, version_id=vid, edit=True)
    d = answer_service.version_definition(v, a.form)
    try:
        pg = d.page(page_id)
    except KeyError:
        raise NotFound("編集ページが見つかりません。") from None
    fields = _multidict(form)
    parsed = parse_page(pg, fields)
    op = str(form.get("op", ""))
    override = str(form.get("lock_override", ""))
    lock = override or str(form.get("lock", ""))
    htmx = bool(request.headers.get("HX-Request"))
    upload, caption = _upload(form, op)
    try:
        result = answer_service.save_page(session, actor=actor, version_id=vid, page_id=page_id, file_uid=file,
                                          lock=lock, parsed=parsed, op=op, today=today, loaded=(v, a, jimu),
                                          upload=upload, upload_caption=caption)
    except ValidationFailed as exc:
        session.rollback()
        return _invalid(request, session, actor, vid, page_id, file, today, parsed, fields, exc, htmx and not op)
    except Conflict as exc:
        session.rollback()
        return _conflict(request, session, actor, vid, page_id, file, today, parsed, exc, htmx)
    saved_at = _now_hm()
    if op:
        E = _load(session, actor, vid, page_id, file, today)
        return render(request, "assessments/edit.html", _ctx(session, actor, E, saved_at=saved_at),
                      block="page_form", headers={"HX-Trigger": "answersSaved"})  # htmx: the form only
    if htmx:  # the completion figure refreshes on its own after `answersSaved` (see /versions/{vid}/progress)
        questions = revisions.page_questions(session, v, a, d.page(page_id), file) if result.changed else None
        return render(request, "assessments/_saved.html", {"lock": result.lock, "saved_at": saved_at, "v": v,
                                                            "questions": questions, "CLASSES": CLASSES},
                      headers={"HX-Trigger": "answersSaved"})
    return redirect(request, _page_url(vid, page_id, file), flash=f"保存しました({saved_at})。")


def _now_hm() -> str:
    from datetime import datetime

    return datetime.now(TOKYO).strftime("%H:%M")


def _raw_overrides(parsed, fields: dict[str, list[str]], errors: dict[str, str]) -> dict[str, Any]:
    out = dict(parsed.values)
    for name in errors:
        kind, _, key = name.partition(F.SEP)
        if kind == F.ANSWER and key and F.SEP not in key:
            out[key] = (fields.get(name) or [""])[0]
    return out


def _invalid(request, session, actor, vid, page_id, file, today, parsed, fields, exc: ValidationFailed,
             autosave: bool) -> Response:
    E = _load(session, actor, vid, page_id, file, today, overrides=_raw_overrides(parsed, fields, exc.errors),
              errors=exc.errors)
    if autosave:
        return render(request, "assessments/_save_failed.html", {"E": E, "errors": exc.errors}, status=422)
    return render(request, "assessments/edit.html", _ctx(session, actor, E), status=422)


def _conflict(request, session, actor, vid, page_id, file, today, parsed, exc: Conflict, htmx: bool) -> Response:
    E = _load(session, actor, vid, page_id, file, today, overrides=parsed.values)
    info = exc.current or {}
    saver = answer_service.page_saver(session, info.get("by"), info.get("at"))
    items = []
    for c in info.get("items", []):
        item = E.definition.item(c.item_id)
        items.append({"item_id": c.item_id, "label": c.label, "mine_text": answer_text(item, c.mine, empty="(空欄)"),
                      "theirs_text": answer_text(item, c.theirs, empty="(空欄)")})
    mine = conflicts.is_me(saver, actor.user_id)
    conflict = {"message": exc.message, "lock": info.get("lock"), "items": items,
                "heading": conflicts.heading(saver, actor.user_id), "mine": mine,
                "theirs_label": "保存済みの内容(別の画面)" if mine else
                (f"保存済みの内容({saver.name}さん)" if saver and saver.name else "保存済みの内容(他の利用者)"),
                "status": "別の画面で先に保存されています" if mine else
                (f"{saver.name}さんが先に保存しました" if saver and saver.name else "他の利用者が先に保存しました")}
    if htmx:
        return render(request, "assessments/_conflict_response.html", {"E": E, "conflict": conflict}, status=409,
                      headers={"HX-Retarget": "#conflict", "HX-Reswap": "innerHTML"})
    return render(request, "assessments/edit.html", _ctx(session, actor, E, conflict=conflict), status=409)


@router.get("/versions/{vid}/progress")
def progress(request: Request, vid: int, session: SessionDep, actor: ActorDep, today: TodayDep) -> Response:
    v, a, _ = assessments.get_version(session, actor=actor, version_id=vid)
    pct = editor.progress(session, version=v, assessment=a, today=today)
    return render(request, "assessments/_progress.html", {"percent": pct, "vid": vid})


@router.get("/versions/{vid}/figures/{sha}.png")
def figure(request: Request, vid: int, sha: str, session: SessionDep, actor: ActorDep) -> Response:
    """A picture shown by one of the version's answers, to whoever may read the version (nothing else is served)."""
    assessments.get_version(session, actor=actor, version_id=vid)
    blob = figures.blobs(session, [sha]).get(sha)
    if blob is None or not figures.version_uses(session, vid, sha):
        raise NotFound("図が見つかりません。")
    return Response(blob.data, media_type="image/png", headers={
        "Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": 'inline; filename="figure.png"'})
