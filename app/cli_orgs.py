"""`spia org create|list` — the 評価実施機関 of this server (issue 16 §3; the screen is /system/organisations)."""
from __future__ import annotations

from typing import Annotated

import typer

org_app = typer.Typer(help="評価実施機関(複数の機関を1台で運用する場合)", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(help="評価実施機関名(例: しののめ市教育委員会)")],
    admin: Annotated[str, typer.Option("--admin", help="最初の管理者のログインID")],
    admin_name: Annotated[str, typer.Option("--admin-name", help="管理者の氏名")] = "",
    password: Annotated[str | None, typer.Option("--password", help="管理者のパスワード(省略時は対話で入力)")] = None,
    kind: Annotated[str, typer.Option("--kind", help="local(地方公共団体等) / national(行政機関等)")] = "local",
    municipality: Annotated[str, typer.Option("--municipality", help="団体名(例: しののめ市)")] = "",
) -> None:
    """評価実施機関とその最初の管理者を登録する。"""
    from sqlmodel import Session

    from app.cli import engine, run_domain
    from app.domain.policy import SYSTEM
    from app.services import bodies

    if password is None:
        password = typer.prompt("管理者のパスワード", hide_input=True, confirmation_prompt=True)
    with Session(engine(), expire_on_commit=False) as session:
        org, user = run_domain(lambda: bodies.create_body(
            session, actor=SYSTEM, name=name, kind=kind, municipality=municipality, admin_login=admin,
            admin_name=admin_name, admin_password=password))
    typer.echo(f"評価実施機関「{org.name}」(ID {org.id})と管理者「{user.login_id}」を登録しました。")


@org_app.command("list")
def org_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """登録されている評価実施機関(利用者・事務・評価書の数)。"""
    from sqlmodel import Session

    from app.cli import echo_json, engine, run_domain
    from app.domain.policy import SYSTEM
    from app.services import bodies

    with Session(engine(), expire_on_commit=False) as session:
        rows = run_domain(lambda: bodies.list_bodies(session, actor=SYSTEM))
    data = [{"id": r.org.id, "name": r.org.name, "kind": r.org.kind, "municipality": r.org.municipality,
             "admins": r.admins, "users": r.users, "jimu": r.jimu, "assessments": r.assessments} for r in rows]
    if as_json:
        echo_json(data)
        return
    for d in data:
        typer.echo(f"{d['id']:>4}  {d['name']}  管理者 {'、'.join(d['admins']) or '(なし)'}  "
                   f"利用者 {d['users']}  事務 {d['jimu']}  評価書 {d['assessments']}")
