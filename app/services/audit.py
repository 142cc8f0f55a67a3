"""Writing and reading the append-only audit log (same transaction as the change)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, SQLModel, col, select

from app.domain.policy import Actor, can_read_audit
from app.domain.workflow import CustomStep
from app.errors import Forbidden
from app.models import AuditLog, Organisation
from app.services import scope


def jsonable(value: Any) -> Any:
    if isinstance(value, SQLModel):
        return {k: jsonable(v) for k, v in value.model_dump().items() if k != "password_hash"}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    session: Session, *, actor: Actor | None, entity: str, entity_id: Any, action: str,
    before: Any = None, after: Any = None, note: str = "",
) -> AuditLog:
    row = AuditLog(
        actor_id=actor.user_id if actor else None,
        actor_login=actor.login_id if actor else "",
        entity=entity, entity_id=str(entity_id), action=action,
        before=jsonable(before), after=jsonable(after), note=note[:500],
        organisation_id=actor.organisation_id if actor else None,
    )
    session.add(row)
    return row


def search(
    session: Session, *, actor: Actor, entity: str = "", entity_id: str = "", login: str = "",
    action: str = "", since: date | None = None, until: date | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[AuditLog], int]:
    if not can_read_audit(actor):
        raise Forbidden("監査ログを閲覧する権限がありません。")
    q = select(AuditLog)
    if not scope.crosses_bodies(actor):
        single = session.exec(select(func.count()).select_from(Organisation)).one() <= 1
        mine = scope.body_clause(AuditLog.organisation_id, actor)
        q = q.where(or_(mine, col(AuditLog.organisation_id).is_(None)) if single else mine)
    if entity:
        q = q.where(AuditLog.entity == entity)
    if entity_id:
        q = q.where(AuditLog.entity_id == entity_id)
    if login:
        q = q.where(AuditLog.actor_login == login)
    if action:
        q = q.where(AuditLog.action == action)
    if since:
        q = q.where(AuditLog.at >= datetime.combine(since, datetime.min.time()).astimezone())
    if until:
        q = q.where(AuditLog.at < datetime.combine(until, datetime.max.time()).astimezone())
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(AuditLog.id).desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def record_output(engine: Engine, *, actor: Actor | None, entity: str, entity_id: Any, what: str, edition: str = "",
                  fmt: str = "", filename: str = "", version: Any = None) -> None:
    """Record an export / download (action `output`) in a short transaction of its own, committed before the
    bytes are sent: the record stays even when the transfer fails, and a read-only request can write it."""
    after = {"what": what, "edition": edition, "format": fmt, "filename": filename, "version": version}
    with Session(engine) as s:
        record(s, actor=actor, entity=entity, entity_id=entity_id, action="output",
               after={k: v for k, v in after.items() if v not in ("", None)}, note=f"出力: {what} {filename}".strip())
        s.commit()


# What the audit viewer shows in Japanese (the filters still take the codes; unknown codes are shown as they are).
ENTITY_LABEL = {
    "action": "改善策", "annual_review": "見直し", "api_token": "APIトークン", "approval": "委員会の承認",
    "assessment": "評価書", "assessment_version": "評価書の版", "version": "評価書の版", "change_row": "変更箇所",
    "checklist_item": "見直しの確認項目", "council": "審議会", "department": "部署", "determination": "しきい値判断",
    "finding": "指摘事項", "form_confirmation": "様式の照合", "incident": "重大事故", "jimu": "事務",
    "library": "記載例ライブラリ", "login": "ログイン", "meeting": "審議会の会議", "opinion": "意見",
    "organisation": "評価実施機関", "plan": "計画管理書", "public_comment": "意見公募", "request": "要求",
    "review": "第三者点検", "review_condition": "答申の条件", "directory_group": "ディレクトリのグループ", "snapshot": "保存した評価書",
    "unmapped_answer": "取り込めなかった記載", "user": "利用者", "workflow_step": "独自の手続",
}
ACTION_LABEL = {
    "created": "作成", "create": "作成", "updated": "更新", "saved": "保存", "answered": "回答", "toggled": "切替",
    "started": "開始", "revoked": "失効", "revised": "改訂", "resolved": "確認済", "reopened": "再開",
    "recorded": "記録", "planned_change": "変更予定日", "password_changed": "パスワード変更", "page_saved": "ページの保存",
    "output": "出力・ダウンロード", "met": "条件を満たした", "merged": "まとめた", "logout": "ログアウト",
    "imported": "取込み", "file_imported": "ファイルからの取込み", "placed": "項目に記載", "discarded": "破棄",
    "file_renamed": "ファイル名の変更", "file_removed": "ファイルの削除", "file_moved": "ファイルの移動",
    "file_added": "ファイルの追加", "ended": "終了", "denied": "拒否", "deleted": "削除", "completed": "完了",
    "closed": "終了", "changes_generated": "変更箇所の作成", "change_classified": "変更の区分", "retired": "廃止",
    "reinstated": "再開", "login_succeeded": "ログイン", "login_failed": "ログイン失敗", "login_locked": "ロック",
    "login_refused_locked": "ロック中のログイン", "migrated": "移行登録(手続の記録なし)",
    "migration_updated": "移行登録(手続の記録なし)の提出日",
    "login_refused_unmapped": "ログイン拒否(対応するグループなし)", "login_refused_conflict": "ログイン拒否(ローカルのIDと重複)",
    "login_directory_unavailable": "ログイン失敗(ディレクトリに接続できない)",
    "created_from_directory": "ディレクトリから作成", "updated_from_directory": "ディレクトリから更新",
    "deactivated_by_directory": "ディレクトリにより無効化",
}


@dataclass(frozen=True)
class AuditView:
    row: AuditLog
    who: str
    entity: str
    action: str


def views(session: Session, rows: list[AuditLog],
          custom: list[CustomStep] | tuple[CustomStep, ...] = ()) -> list[AuditView]:
    """The rows as a person reads them: display names, Japanese names of the entity and the action (a procedure
    step by its name, 「公表」 not stage:publish)."""
    from app.domain.workflow import step_label
    from app.services.people import display_names

    names = display_names(session, (r.actor_id for r in rows), (r.actor_login for r in rows))

    def action_of(code: str) -> str:
        if code.startswith("stage:"):
            return f"手続: {step_label(code.split(':', 1)[1], custom)}"
        return ACTION_LABEL.get(code, code)

    def who(r: AuditLog) -> str:
        name = names(r.actor_id, r.actor_login)
        return r.actor_login if name == "-" and r.actor_login else name  # a user no longer on file keeps the login

    return [AuditView(r, who(r), ENTITY_LABEL.get(r.entity, r.entity), action_of(r.action)) for r in rows]
