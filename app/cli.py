"""The `spia` command (design.md §4). Exit codes: 0 ok, 1 error, 2 bad input, 3 forbidden, 4 not found, 5 conflict."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.config import get_settings
from app.domain import threshold as th

app = typer.Typer(help="特定個人情報保護評価 支援システムのコマンド", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="データベースの操作", no_args_is_help=True)
user_app = typer.Typer(help="利用者の操作", no_args_is_help=True)
jimu_app = typer.Typer(help="事務の登録簿", no_args_is_help=True)
forms_app = typer.Typer(help="様式の定義(assessments/)", no_args_is_help=True)
app.add_typer(forms_app, name="forms")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(jimu_app, name="jimu")

EXIT = {400: 1, 401: 3, 403: 3, 404: 4, 409: 5, 422: 2, 423: 3}
_state: dict = {"user": None, "org": None}


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"エラー: {message}", err=True)
    raise typer.Exit(code)


def read_input(path: Path, max_bytes: int, *, what: str = "ファイル", note: str = "") -> bytes:
    """The file's bytes; an oversize file is refused (exit 2) before it is read into memory."""
    try:
        if path.stat().st_size > max_bytes:
            fail(f"{what}が大きすぎます(上限 {max_bytes // (1024 * 1024)}MB)。{note}", 2)
        return path.read_bytes()
    except OSError as exc:
        fail(f"ファイルを読み込めません: {exc}", 2)
        raise  # not reached: fail() exits


def echo_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.callback()
def main_options(
    as_user: Annotated[str | None, typer.Option("--user", envvar="SPIA_USER",
                       help="このログインIDの権限で実行する(省略時はサーバー管理者としてすべてを操作)")] = None,
    as_org: Annotated[str | None, typer.Option("--org", envvar="SPIA_ORG",
                      help="--user なしで操作する評価実施機関(名称またはID。省略時は最初に登録された機関)")] = None,
) -> None:
    _state["user"], _state["org"] = as_user, as_org


def find_organisation(session, name_or_id: str | None):
    """The body named (or numbered) `name_or_id`; the first registered one when None; None when there is none."""
    from sqlmodel import select

    from app.models import Organisation

    if not name_or_id:
        return session.exec(select(Organisation).order_by(Organisation.id)).first()
    q = select(Organisation).where(Organisation.name == name_or_id.strip())
    if name_or_id.strip().isdigit():
        q = select(Organisation).where(Organisation.id == int(name_or_id))
    org = session.exec(q).first()
    if org is None:
        fail(f"評価実施機関「{name_or_id}」が見つかりません(`spia org list` で確認できます)。", 4)
    return org


def engine():
    from app.db import make_engine

    return make_engine(get_settings().database_url)


def actor_for(session):
    """The CLI's actor: --user LOGIN applies that user's department scope; otherwise the system actor."""
    from sqlmodel import select

    from app.domain.policy import SYSTEM
    from app.models import User
    from app.services.auth import actor_for as build

    login = _state.get("user")
    if not login:
        org = find_organisation(session, _state.get("org"))  # one body at a time (issue 16 §3)
        return SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id if org else None})
    user = session.exec(select(User).where(User.login_id == login)).first()
    if user is None or not user.active:
        fail(f"利用者「{login}」が見つかりません。", 4)
    return build(session, user)


def run_domain(fn):
    """Run fn(); translate domain errors into Japanese messages and exit codes."""
    from app.errors import DomainError, ValidationFailed

    try:
        return fn()
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            typer.echo(f"エラー: {field}: {message}", err=True)
        raise typer.Exit(2) from None
    except DomainError as exc:
        if exc.status == 403:
            from app.services import denials

            denials.record(login=_state.get("user") or "(system)", method="CLI",
                           path=" ".join(sys.argv[1:3])[:64], status=403, reason=exc.message, engine=engine())
        fail(exc.message, EXIT.get(exc.status, 1))


@app.command()
def threshold(
    subjects: Annotated[str, typer.Option("--subjects", help="対象人数")],
    handlers: Annotated[str, typer.Option("--handlers", help="取扱者数(委託先の従業者を含む)")],
    serious_incident: Annotated[bool, typer.Option("--serious-incident", help="過去1年以内に重大事故が発生")] = False,
    exclusion: Annotated[list[str] | None, typer.Option("--exclusion", help="staff-only または manual-only")] = None,
    org_kind: Annotated[str, typer.Option("--org-kind", help="local(地方公共団体等)/ national(行政機関等)")] = "local",
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """しきい値判断を計算する(記録はしない)。"""
    try:
        inp = th.validate(subjects, handlers, exclusion or (), org_kind)
    except th.InvalidThresholdInput as exc:
        for message in exc.errors.values():
            typer.echo(f"エラー: {message}", err=True)
        raise typer.Exit(2) from None
    result = th.determine(th.ThresholdInput(inp.subjects, inp.handlers, serious_incident, inp.exclusions, inp.org_kind))
    data = result.as_dict()
    if as_json:
        echo_json({k: data[k] for k in ("required", "result", "procedures", "reasons", "rule_version", "band")})
        return
    typer.echo(f"判定: {result.label}")
    typer.echo(f"対象人数の区分: {result.band}")
    typer.echo("理由:")
    for line in result.reasons:
        typer.echo(f"  ・{line}")
    for proc in data["procedures"]:
        steps = " → ".join(s["label"] + ("" if s["required"] else "(任意)") for s in proc["steps"])
        typer.echo(f"{proc['label']}の手続: {steps}")
    typer.echo(f"判定表: {result.rule_version}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """マイグレーションを適用する(alembic upgrade)。"""
    from app.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"データベースを {revision} に更新しました。")


@db_app.command("check")
def db_check() -> None:
    """モデルとマイグレーションに差がないか確認する(alembic check)。"""
    from app.migrate import check

    problems = check(get_settings().database_url)
    if problems:
        for p in problems:
            typer.echo(f"差分: {p}", err=True)
        raise typer.Exit(1)
    typer.echo("モデルとマイグレーションは一致しています。")


@app.command()
def demo(
    today: Annotated[str | None, typer.Option(help="デモの基準日(YYYY-MM-DD)")] = None,
    quiet: bool = False,
) -> None:
    """デモ用の団体・利用者・事務・評価書を登録する(登録済みなら何もしない)。"""
    from sqlmodel import Session

    from app.demo import load_demo

    with Session(engine(), expire_on_commit=False) as session:
        created, accounts = run_domain(lambda: load_demo(session, today=date.fromisoformat(today) if today else None))
    if not quiet:
        typer.echo("デモデータを登録しました。" if created else "デモデータは登録済みです。")
        typer.echo("デモ用アカウント(ログインID / パスワード / 役割):")
        for login, password, role in accounts:
            typer.echo(f"  {login:<10} {password:<20} {role}")


@user_app.command("create")
def user_create(
    login_id: Annotated[str, typer.Option("--login", help="ログインID")],
    role: Annotated[str, typer.Option("--role", help="admin / records / staff / council / sysadmin(システム管理者)")],
    name: Annotated[str, typer.Option("--name", help="氏名")] = "",
    password: Annotated[str | None, typer.Option("--password", help="省略時は対話で入力")] = None,
    department: Annotated[list[str] | None, typer.Option("--department", help="所属部署名(複数可)")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", help="評価実施機関名(未登録なら作成)")] = None,
    org_kind: Annotated[str, typer.Option("--org-kind")] = "local",
) -> None:
    """利用者を登録する(最初の管理者の作成にも使う)。"""
    from sqlmodel import Session, select

    from app.domain.policy import SYSTEM
    from app.models import Department, Organisation
    from app.services import organisation as orgs

    if password is None:
        password = typer.prompt("パスワード", hide_input=True, confirmation_prompt=True)
    with Session(engine(), expire_on_commit=False) as session:
        org = session.exec(select(Organisation).where(Organisation.name == organisation)).first() if organisation \
            else find_organisation(session, _state.get("org"))
        if org is None:
            org = Organisation(name=organisation or "評価実施機関(未設定)", kind=org_kind)
            session.add(org)
            session.commit()
        dept_ids = []
        for dname in department or []:
            dept = session.exec(select(Department).where(Department.organisation_id == org.id,
                                                         Department.name == dname)).first()
            if dept is None:
                dept = run_domain(lambda dname=dname: orgs.create_department(session, actor=SYSTEM, organisation_id=org.id,
                                                                 name=dname, parent_id=None))
            dept_ids.append(dept.id)
        user = run_domain(lambda: orgs.create_user(session, actor=SYSTEM, organisation_id=org.id, login_id=login_id,
                                                   display_name=name or login_id, role=role, password=password,
                                                   department_ids=dept_ids))
    typer.echo(f"利用者「{user.login_id}」({role})を登録しました。")


def _jimu_json(row) -> dict:
    latest = row.latest
    return {
        "id": row.jimu.id, "name": row.jimu.name, "department": row.department, "status": row.jimu.status,
        "subjects": row.subjects, "handlers": row.jimu.handlers, "files": [f.name for f in row.files],
        "current_result": row.current.result,
        "latest_determination": None if latest is None else {
            "id": latest.id, "determined_on": latest.determined_on.isoformat(), "result": latest.result,
            "rule_version": latest.rule_version},
        "warning": row.warning,
    }


@jimu_app.command("list")
def jimu_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """見える範囲の事務と最新のしきい値判断を表示する。"""
    from sqlmodel import Session

    from app.services import dashboard
    from app.services.organisation import get_organisation

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        org = run_domain(lambda: get_organisation(session, actor.organisation_id))
        rows = dashboard.jimu_rows(session, actor=actor, org=org, today=date.today())
    if as_json:
        echo_json([_jimu_json(r) for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.jimu.id:>4}  {r.jimu.name}  [{r.department}]  {r.current.label}" + ("  ※再判断が必要" if r.warning else ""))


@jimu_app.command("show")
def jimu_show(jimu_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """事務を1件表示する(--user 指定時は所属部署の事務のみ)。"""
    from sqlmodel import Session

    from app.services import dashboard, register
    from app.services.organisation import get_organisation

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        jimu = run_domain(lambda: register.get_jimu(session, actor=actor, jimu_id=jimu_id))
        org = get_organisation(session, jimu.organisation_id)
        rows = dashboard.jimu_rows(session, actor=actor, org=org, today=date.today(), jimu_id=jimu.id)
    data = _jimu_json(rows[0])
    if as_json:
        echo_json(data)
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


@app.command("list")
def list_assessments(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """すべての評価書(見える範囲)と事務・様式・段階・評価書番号を表示する。"""
    from sqlmodel import Session

    from app.services import due

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        data = [due.summary(r) for r in due.rows(session, actor=actor, today=_today())]
    if as_json:
        echo_json(data)
        return
    for r in data:
        typer.echo(f"{r['id']:>4}  No.{r['number']:<5} {r['jimu']} {r['form_label']}  第{r['version']}版 {r['stage_label']}")


def _today() -> date:
    from datetime import datetime

    from app.domain.wareki import TOKYO

    return datetime.now(TOKYO).date()


@app.command("due")
def due_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="基準日(YYYY-MM-DD、省略時は今日)")] = None,
    within: Annotated[int, typer.Option("--within", help="何日先までの期限を含めるか(30 または 90)")] = 90,
    fail_on_overdue: Annotated[bool, typer.Option("--fail-on-overdue",
                                                  help="期限超過または「再実施が必要」があれば終了コード 6")] = False,
) -> None:
    """期限を過ぎたもの・期限が近いもの(見直し、再実施、手続、改善策)と「再実施が必要」を表示する(定期実行用)。"""
    from sqlmodel import Session

    from app.services import due

    try:
        day = date.fromisoformat(as_of) if as_of else _today()
    except ValueError:
        fail("--as-of は YYYY-MM-DD の形式で指定してください。", 2)
    if within not in (30, 90):
        fail("--within は 30 または 90 を指定してください。", 2)
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        items = due.due_items(due.attention_rows(session, actor=actor, today=day), horizon=f"due_{within}")
    if as_json:
        echo_json({"as_of": day.isoformat(), "within_days": within, "items": items})
    else:
        from app.domain.deadlines import STATUS_LABEL

        typer.echo(f"{day.isoformat()} 現在: {len(items)}件")
        for x in items:
            when = x["due_on"] or "-"
            typer.echo(f"  [{STATUS_LABEL.get(x['status'], '要対応')}] {when}  No.{x['number']} {x['label']}")
    if fail_on_overdue and any(x["status"] in ("overdue", "flag") for x in items):
        raise typer.Exit(6)


@app.command("remind")
def remind_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help="基準日(YYYY-MM-DD、省略時は今日)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="送る内容を表示するだけで、送信も記録もしない")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """期限(見直し・再実施・意見公募の終了・答申の条件・改善策)の90日前・30日前・7日前・当日・超過を、1人1通のメールで知らせる。
    同じ期限・同じ段階のお知らせは1回だけ送る(毎日の定期実行用)。送れなかったものがあれば終了コード 1(次回に再送)。"""
    from app.services import mailer, reminders

    try:
        day = date.fromisoformat(as_of) if as_of else _today()
    except ValueError:
        fail("--as-of は YYYY-MM-DD の形式で指定してください。", 2)
    try:
        report = reminders.run(engine(), settings=get_settings(), today=day, dry_run=dry_run)
    except mailer.MailNotConfigured as exc:
        fail(str(exc), 1)
    if as_json:
        echo_json(_remind_json(report))
    else:
        _remind_text(report)
    if report.failed:
        raise typer.Exit(1)


REMIND_STATUS = {"sent": "送信", "failed": "失敗", "dry_run": "送信予定", "already_sent": "送信済み",
                 "no_address": "宛先なし"}


def _remind_json(report) -> dict:
    from app.domain import reminders as rules

    mails = []
    for r in report.results:
        m = r.mail
        mails.append({
            "user": r.login_id, "name": m.recipient.name, "email": m.recipient.email, "status": r.status,
            "error": r.error, "subject": m.subject,
            **({"body": m.body(as_of=report.as_of, sender="")} if report.dry_run else {}),
            "items": [{"key": x.deadline.key, "kind": x.deadline.kind, "kind_label": rules.KINDS[x.deadline.kind],
                       "threshold": x.threshold, "threshold_label": rules.THRESHOLD_LABEL[x.threshold],
                       "due_on": x.deadline.due_on.isoformat(), "days_left": x.days_left,
                       "assessment_id": x.deadline.assessment_id, "number": x.deadline.number,
                       "title": x.deadline.title, "what": x.deadline.what} for x in m.reminders],
        })
    counts = {s: report.count(s) for s in REMIND_STATUS}
    return {"as_of": report.as_of.isoformat(), "dry_run": report.dry_run, "counts": counts, "mails": mails}


def _remind_text(report) -> None:
    from app.domain import reminders as rules

    head = "(送信せず表示のみ)" if report.dry_run else ""
    typer.echo(f"{report.as_of.isoformat()} のお知らせ{head}: {len(report.results)}通")
    for r in report.results:
        m = r.mail
        typer.echo(f"  [{REMIND_STATUS[r.status]}] {r.login_id} {m.recipient.name} <{m.recipient.email or '-'}> "
                   f"{len(m.reminders)}件" + (f" — {r.error}" if r.error else ""))
        for x in m.reminders:
            typer.echo(f"      {rules.THRESHOLD_LABEL[x.threshold]} {x.deadline.due_on.isoformat()} "
                       f"No.{x.deadline.number} {rules.KINDS[x.deadline.kind]}: {x.deadline.what}")
    if report.failed:
        typer.echo(f"エラー: {report.failed}通を送信できませんでした。次回の実行で再送します。", err=True)
    if report.count("no_address"):
        typer.echo(f"注意: メールアドレスが未登録の利用者が{report.count('no_address')}人います(管理画面または"
                   "アカウント画面で登録してください)。", err=True)


def _record_output(actor, entity: str, entity_id, what: str, **detail) -> None:
    """CLI exports are audited like downloads (own transaction, before the file is written)."""
    from app.services import audit

    audit.record_output(engine(), actor=actor, entity=entity, entity_id=entity_id, what=what, **detail)


@app.command("export-json")
def export_json(assessment_id: int, out: Annotated[Path, typer.Option("--out", help="出力ファイル(- で標準出力)")],
                version: Annotated[int | None, typer.Option(help="版の番号(省略時は最新)")] = None) -> None:
    """評価書を可逆な JSON で書き出す。"""
    from sqlmodel import Session

    from app.services import assessments, jsonio

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        v = run_domain(lambda: assessments.version_by_seq(session, actor=actor, assessment_id=assessment_id,
                                                          seq=version))
        data = run_domain(lambda: jsonio.export_version(session, actor=actor, version_id=v.id))
    _record_output(actor, "version", v.id, "JSON(CLI)", fmt="json", filename=str(out), version=v.id)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if str(out) == "-":
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"{out} に書き出しました。")


def _echo_import(out) -> None:
    from app.domain.workflow import stage_label

    v = out.version
    typer.echo(f"取り込みました: 評価書ID {v.assessment_id}、版ID {v.id}({stage_label(v.stage)})")
    for notice in out.notices:
        typer.echo(f"注意: {notice}")


@app.command("import-plan")
def import_plan(
    path: Path,
    create_departments: Annotated[bool, typer.Option("--create-departments", help="ない部署を作成する")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="確認だけして書き込まない")] = False,
    maps: Annotated[list[str] | None, typer.Option("--map", help="見出し=項目(例: 区分=評価の種類、メモ=取り込まない)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """計画管理書(.xlsx、.csv は UTF-8 または Shift_JIS)を事務・評価書の登録簿に取り込む(移行登録)。何度実行しても同じ結果。"""
    from sqlmodel import Session

    from app.db import begin_write
    from app.services import planfile, planimport

    data = read_input(path, planfile.MAX_BYTES, note="何も取り込んでいません。")
    try:
        table = planimport.read_table(path.name, data)
    except planimport.PlanFileError as exc:
        fail(str(exc), 2)
    chosen = run_domain(lambda: planimport.parse_maps(table.headers, maps or []))
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        session.commit()
        if dry_run:
            out = run_domain(lambda: planimport.preview(session, actor=actor, table=table, chosen=chosen,
                                                        today=date.today()))
        else:
            begin_write(session)
            out = run_domain(lambda: planimport.apply(session, actor=actor, table=table, chosen=chosen,
                                                      create_departments=create_departments, today=date.today()))
    if as_json:
        echo_json(planimport.as_dict(out))
        return
    for line in planimport.report_lines(out):
        typer.echo(line)
    if dry_run:
        typer.echo("(--dry-run: 書き込んでいません)")


@app.command("import-json")
def import_json(path: Path, into: Annotated[int | None, typer.Option("--into", help="取り込み先の評価書ID")] = None,
                number: Annotated[int | None, typer.Option("--number", help="新しい評価書番号")] = None) -> None:
    """JSON から評価書を取り込む(--into で既存の評価書の編集中の版を置き換える)。"""
    from sqlmodel import Session

    from app.db import begin_write
    from app.services import jsonimport

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"JSON を読み込めません: {exc}", 2)
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        session.commit()
        begin_write(session)
        out = run_domain(lambda: jsonimport.import_document(session, actor=actor, data=data, into=into, number=number))
        _echo_import(out)


@app.command("export")
def export_doc(
    assessment_id: int,
    out: Annotated[Path, typer.Option("--out", help="出力ファイル")],
    edition: Annotated[str, typer.Option("--edition", help="draft(案)/ full(提出用)/ public(公表用)")] = "full",
    fmt: Annotated[str, typer.Option("--format", help="docx / pdf")] = "docx",
    version: Annotated[int | None, typer.Option(help="版の番号(省略時は最新)")] = None,
) -> None:
    """評価書を Word(または PDF)で出力する。"""
    from sqlmodel import Session

    from app.services import assessments, exports

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        v = run_domain(lambda: assessments.version_by_seq(session, actor=actor, assessment_id=assessment_id,
                                                          seq=version))
        result = run_domain(lambda: exports.export(session, actor=actor, version_id=v.id, edition=edition, fmt=fmt,
                                                   today=date.today()))
    _record_output(actor, "version", v.id, "評価書(CLI)", edition=edition, fmt=fmt, filename=str(out), version=v.id)
    out.write_bytes(result.content)
    typer.echo(f"{out} に出力しました({result.filename}、{len(result.content):,} バイト)。")


@app.command("export-plan")
def export_plan(out: Annotated[Path, typer.Option("--out", help="出力ファイル(.docx または .csv)")]) -> None:
    """計画管理書を Word(A4横)または CSV(拡張子 .csv、Excel 用に BOM 付き)で出力する。"""
    from sqlmodel import Session

    from app.services import plan

    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        org, rows = run_domain(lambda: plan.rows(session, actor=actor, today=date.today()))
        data = plan.to_csv(rows) if out.suffix.lower() == ".csv" else plan.to_docx(org, rows, date.today())
    _record_output(actor, "plan", org.id, "計画管理書(CLI)", fmt=out.suffix.lstrip("."), filename=str(out))
    out.write_bytes(data)
    typer.echo(f"{out} に出力しました({len(rows)}件)。")


@app.command("import-docx")
def import_docx(path: Path, into: Annotated[int | None, typer.Option("--into", help="取り込み先の評価書ID")] = None,
                number: Annotated[int | None, typer.Option("--number", help="新しい評価書番号")] = None) -> None:
    """出力した Word ファイルに埋め込まれたデータから評価書を取り込む。"""
    from sqlmodel import Session

    from app.db import begin_write
    from app.services import exports

    data = read_input(path, exports.MAX_DOCX_BYTES, what="Word ファイル")
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        session.commit()
        begin_write(session)
        out = run_domain(lambda: exports.import_docx_document(session, actor=actor, data=data, into=into,
                                                              number=number))
        _echo_import(out)


@app.command("import-file")
def import_file(
    path: Path,
    form: Annotated[str, typer.Option("--form", help="様式: basic / focused / full")],
    version: Annotated[str, typer.Option("--version", help="取り込み先の様式の版(省略時は最新の版)")] = "",
    into: Annotated[int | None, typer.Option("--into", help="取り込み先の評価書ID(作成中の版を置き換える)")] = None,
    number: Annotated[int | None, typer.Option("--number", help="新しい評価書の評価書番号(ファイルにない場合)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """記入済みの評価書(.docx / .xlsx / .pdf / pdftotext のテキスト)を項目名で読み、作成中の版として取り込む。"""
    from sqlmodel import Session

    from app.db import begin_write
    from app.services import fileimport, formfiles

    data = read_input(path, formfiles.MAX_BYTES, note="何も取り込んでいません。")
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        session.commit()
        begin_write(session)
        rep = run_domain(lambda: fileimport.import_file(session, actor=actor, name=path.name, data=data, form=form,
                                                        version=version, into=into, number=number))
    if as_json:
        echo_json({"assessment_id": rep.assessment_id, "version_id": rep.version_id, "file_label": rep.file_label,
                   "source_version": rep.source_version, "target_version": rep.target_version,
                   "filled": len(rep.filled), "empty": len(rep.empty), "missing": [list(m) for m in rep.missing],
                   "unplaced": [{"file": u.uid, "where": u.where, "label": u.label, "text": u.text,
                                 "reason": u.reason} for u in rep.unplaced], "notices": rep.notices})
        return
    typer.echo(f"取り込みました: 評価書ID {rep.assessment_id}、版ID {rep.version_id}(作成中)")
    typer.echo(rep.summary())
    for notice in rep.notices:
        typer.echo(f"注意: {notice}")
    for uid, item_id in rep.missing:
        typer.echo(f"ファイルに見つからない項目: {uid + ' ' if uid else ''}{item_id}")
    for u in rep.unplaced:
        typer.echo(f"取り込めなかった記載: [{u.where}] {u.label}: {u.text[:80]}({u.reason})")
    for uid, item_id, n in rep.unassigned:
        typer.echo(f"対象の書かれていない措置: {uid + ' ' if uid else ''}{item_id} {n}件(市民・事業者・委託先等に置きました。画面で振り分けてください)")


@forms_app.command("demo-check")
def demo_check(path: Path) -> None:
    """デモ用の評価書ファイル(assessments/demo/juki_full.yaml など)を様式の定義と照合する。"""
    from app.demo_content import check, read
    from app.services.catalogue import definition

    doc = read(path)
    d = definition(doc["form"], doc["form_version"])
    problems = check(d, doc)
    answered = {(uid, i) for uid, items in (doc.get("answers") or {}).items() for i in (items or {})}
    files = [f["uid"] for f in doc.get("files", [])]
    missing = []
    for s in d.sections:
        for uid in (files if s.scope == "file" else [""]):
            for item in s.walk():
                if item.answerable and not item.readonly and item.prefill is None and (uid, item.id) not in answered:
                    missing.append(f"{uid or '評価書'}:{item.id}")
    for p in problems:
        typer.echo(f"誤り: {p}")
    typer.echo(f"回答 {len(answered)} 件、誤り {len(problems)} 件、未記入(登録情報から入る項目を除く) {len(missing)} 件")
    for m in missing[:200]:
        typer.echo(f"  未記入: {m}")
    if problems:
        raise typer.Exit(2)


@forms_app.command("check")
def forms_check(path: Annotated[Path | None, typer.Argument(help="様式の版のフォルダ(省略時はすべて)")] = None,
                flagged: Annotated[bool, typer.Option("--flagged", help="出典のない項目を一覧する")] = False) -> None:
    """様式の定義を検査し、項目数と出典の有無(出典あり・未確認)を表示する。"""
    from app.domain.forms import DefinitionError, load_catalogue, load_definition

    base = get_settings().forms_dir
    try:
        defs = [load_definition(path, base_dir=base)] if path else load_catalogue(base).all()
    except DefinitionError as exc:
        fail(str(exc), 2)
    for d in defs:
        answerable = d.answerable()
        typer.echo(f"{d.key} {d.label}: 項目 {len(d.items())}, 出典あり {len(d.sourced())}, "
                   f"未確認(recall) {len(d.flagged())}, 出典も recall もない {len(d.unmarked())} / "
                   f"セクション {len(d.sections)}, 回答項目 {len(answerable)}, ※ {len(d.important_ids())}, "
                   f"ページ {len(d.pages)}")
        for s in d.sections:
            n = sum(1 for i in s.walk() if i.answerable)
            src = sum(1 for i in s.walk() if i.source)
            total = sum(1 for _ in s.walk())
            typer.echo(f"    {s.id:<10} {s.heading[:40]:<42} {s.scope:<10} 回答項目 {n:>3}  出典 {src:>3}/{total}")
        if flagged:
            for item in d.flagged() + d.unmarked():
                state = "recall" if item.recall else "出典なし"
                typer.echo(f"      {state:<8} {item.id:<24} {item.display}")


@forms_app.command("verify")
def forms_verify(
    form_version: Annotated[str, typer.Argument(help="様式の版(例 full/r06-10)")],
    path: Annotated[Path, typer.Argument(help="公式様式のファイル(.docx / .xlsx / pdftotext -layout の .txt)")],
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力する")] = False,
    write_patch: Annotated[Path | None, typer.Option(
        "--write-patch", help="ファイルの文言に合わせた新しい版のフォルダ(assessments/<form>/<新しい版>)を作る")] = None,
) -> None:
    """公式様式のファイルと様式の定義を項目ごとに照合する(一致・相違・ファイルにない・定義にない)。差異がなければ終了コード 0。"""
    from app.domain.formpatch import patch_manifest
    from app.errors import NotFound
    from app.services.formcheck import check_file, resolve
    from app.services.formfiles import MAX_BYTES, FormFileError

    try:
        d = resolve(form_version)
    except NotFound as exc:
        fail(exc.message, 4)
    data = read_input(path, MAX_BYTES)
    try:
        checked = check_file(d, file_name=path.name, data=data)
    except FormFileError as exc:
        fail(str(exc), 2)
    result = checked.result
    if as_json:
        echo_json({"form": d.form, "version": d.version, "label": d.label, "file": checked.file_name,
                   "file_sha256": checked.file_sha256, "definition_digest": checked.digest,
                   "counts": result.counts, "differences": result.differences, "rows": [r.as_dict() for r in result.rows]})
    else:
        typer.echo(f"{d.key} {d.label} と {checked.file_name} の照合")
        for r in result.rows:
            line = f"  {r.status_label:<8} {r.key or '-':<22} {r.expected or r.found}"
            if r.status == "differs":
                line += f"  →  {r.found}"
                if "choices" in r.what:
                    line += f"  選択肢: {' / '.join(r.expected_choices or ())} → {' / '.join(r.found_choices or ())}"
            if r.where:
                line += f"  [{r.where}]"
            typer.echo(line)
        typer.echo(result.summary())
    if write_patch is not None:
        _write_patch(d, checked, write_patch, patch_manifest, quiet=as_json)
    raise typer.Exit(0 if result.ok else 1)


def _write_patch(d, checked, folder: Path, patch_manifest, *, quiet: bool) -> None:
    from app.domain.forms import ID_RE, DefinitionError, load_definition

    if not ID_RE.match(folder.name):
        fail(f"版のフォルダ名 {folder.name!r} には英数字と ._- だけを使ってください。", 2)
    if folder.exists() and any(folder.iterdir()):
        fail(f"{folder} はすでにあり、空ではありません。", 5)
    text = patch_manifest(d, checked.result, version=folder.name, file_name=checked.file_name,
                          file_sha256=checked.file_sha256, today=date.today().isoformat())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.yaml").write_text(text, encoding="utf-8")
    try:
        load_definition(folder, base_dir=get_settings().forms_dir)
    except DefinitionError as exc:
        typer.echo(f"注意: 作成した版は読み込めません({exc})。assessments/{d.form}/ の下に置いてください。", err=True)
    if not quiet:
        typer.echo(f"{folder / 'manifest.yaml'} を作成しました(extends: {d.version})。")


@app.command("library-seed")
def library_seed() -> None:
    """措置ライブラリに標準的な措置(assessments/library.yaml)を登録する(未登録の場合のみ)。"""
    from sqlmodel import Session, select

    from app.models import Organisation
    from app.services import library

    with Session(engine(), expire_on_commit=False) as session:
        for org in session.exec(select(Organisation)).all():
            n = library.seed(session, organisation_id=org.id)
            typer.echo(f"{org.name}: {n}件を登録しました。")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False) -> None:
    """Web サーバーを起動する(uvicorn)。"""
    import uvicorn

    from app.logredact import log_config

    uvicorn.run("app.main:asgi_factory", factory=True, host=host, port=port, workers=workers, reload=reload,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_config=log_config())


@app.command()
def backup(out: Annotated[Path, typer.Option("--out", help="出力ファイル")]) -> None:
    """オンラインで一貫したバックアップを取る(SQLite はバックアップ API、PostgreSQL は pg_dump)。"""
    from app.backup import backup as do_backup

    try:
        message = do_backup(get_settings().database_url, out)
    except RuntimeError as exc:
        fail(str(exc))
    _record_output(None, "database", "", "バックアップ(CLI)", filename=str(out))
    typer.echo(message)


@app.command()
def restore(
    source: Annotated[Path, typer.Option("--from", help="spia backup で作成したバックアップファイル")],
    force: Annotated[bool, typer.Option("--force", help="復元先が空でなくても上書きする(現在の内容はすべて失われます)")] = False,
) -> None:
    """バックアップを DATABASE_URL のデータベースに復元する(復元先は空のデータベース。サーバーは止めておく)。"""
    from app.backup import RestoreRefused
    from app.backup import restore as do_restore

    try:
        message = do_restore(get_settings().database_url, source, force=force)
    except FileNotFoundError as exc:
        fail(str(exc), 4)
    except RestoreRefused as exc:
        fail(str(exc), 5)
    except RuntimeError as exc:
        fail(str(exc))
    typer.echo(message)


from app.cli_campaign import campaign_app
from app.cli_orgs import org_app

app.add_typer(campaign_app, name="campaign")
app.add_typer(org_app, name="org")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
