"""`spia campaign plan|apply FILE.yaml` — 一括変更 from a campaign file (format: assessments/README.md)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

campaign_app = typer.Typer(help="一括変更(複数の評価書にまたがる変更)", no_args_is_help=True)


def _read(path: Path) -> dict:
    from app.cli import fail
    from app.services import campaigns

    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        fail(f"ファイルを読み込めません: {exc}", 2)
    from app.cli import run_domain

    return run_domain(lambda: campaigns.read_yaml(text))


def _as_of(raw: str | None) -> date:
    from app.cli import fail

    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail("--as-of は YYYY-MM-DD で指定してください。", 2)


@campaign_app.command("plan")
def plan(path: Path, as_of: Annotated[str | None, typer.Option("--as-of", help="基準日(YYYY-MM-DD)")] = None,
         as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False) -> None:
    """一括変更の計画(適用しない): 評価書ごとの変更内容、再実施/修正、提出時期、手続と各段階の開始期限。"""
    from sqlmodel import Session, select

    from app.cli import actor_for, echo_json, engine, run_domain
    from app.models import Campaign
    from app.services import campaigns, scope

    raw, day = _read(path), _as_of(as_of)
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        spec = run_domain(lambda: campaigns.parse(raw))
        stored = session.exec(select(Campaign).where(scope.body_clause(Campaign.organisation_id, actor),
                                                     Campaign.name == spec.name)).first()
        rows, missing = run_domain(lambda: campaigns.plan(session, actor=actor, spec=spec, as_of=day,
                                                          campaign_id=stored.id if stored else None))
    data = {"campaign": spec.name, "planned_on": spec.planned_on.isoformat(), "as_of": day.isoformat(),
            "not_found": missing, "assessments": [r.as_dict(day) for r in rows]}
    if as_json:
        echo_json(data)
        return
    typer.echo(f"一括変更「{spec.name}」 変更予定日 {spec.planned_on}(基準日 {day})")
    for m in missing:
        typer.echo(f"  ! {m}")
    for d in data["assessments"]:
        head = f"[{d['status_label']}] {d['jimu']} {d['form_label']}"
        typer.echo(head + (f" → {d['kind_label']}({d['timing']}) 変更{len(d['changes'])}件" if d["kind"] else ""))
        if d["note"]:
            typer.echo(f"    {d['note']}")
        for s in d["procedure"]:
            typer.echo(f"    {s['label']}: {s['latest_start_wareki']}までに開始" + (" (期限超過)" if s["passed"] else ""))
        for p in d["not_applied"]:
            typer.echo(f"    × {p['message']}")
        for w in d["warnings"]:
            typer.echo(f"    ! {w}")


@campaign_app.command("apply")
def apply(path: Path, as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False) -> None:
    """一括変更を適用する: 評価書ごとに新しい版(作成中)を作り、変更と変更箇所を記載する。すべて成功するか、何もしない。
    同じファイルをもう一度適用しても何も変わらない(評価書を追加した場合は、追加分だけ適用する)。"""
    from sqlmodel import Session

    from app.cli import actor_for, echo_json, engine, run_domain
    from app.db import begin_write
    from app.services import campaigns

    raw, day = _read(path), date.today()
    with Session(engine(), expire_on_commit=False) as session:
        actor = actor_for(session)
        session.commit()
        begin_write(session)
        c = run_domain(lambda: campaigns.save(session, actor=actor, raw=raw))
        result = run_domain(lambda: campaigns.apply(session, actor=actor, campaign_id=c.id, today=day))
        created = [{"assessment_id": r.assessment.id, "jimu": r.jimu.name, "form": r.assessment.form,
                    "version_id": v.id, "seq": v.seq, "kind": v.kind} for r, v in result.created]
        others = [{"assessment_id": r.assessment.id, "jimu": r.jimu.name, "form": r.assessment.form,
                   "status": r.status, "note": r.note} for r in result.rows if r.status != "ready"]
    if as_json:
        echo_json({"campaign_id": c.id, "created": created, "unchanged": others, "not_found": result.missing})
        return
    typer.echo(f"一括変更「{c.name}」(ID {c.id})を適用しました: 新しい版 {len(created)}件。")
    for x in created:
        typer.echo(f"  + {x['jimu']} {x['form']} 第{x['seq']}版({'再実施' if x['kind'] == 'reassessment' else '修正'})")
    for x in others:
        typer.echo(f"  - {x['jimu']} {x['form']}: {x['note']}")
