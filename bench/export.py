"""Issue 4 benchmark: the demo 全項目評価書 (住基, 3 files) exported in-process, median of 20 runs,
against a floor that writes the same paragraphs, tables and runs with bare python-docx calls.

    .venv/bin/python bench/export.py [--runs 20] [--pdf-runs 3]

Then each demo form (全項目 住基, 重点 住民税, 基礎 児童手当): docx median of --runs, PDF (LibreOffice) median of
--pdf-runs when soffice is installed.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date

from common import prepare_database


def floor_render(model) -> bytes:
    """The same blocks with python-docx's public API only (add_paragraph / add_table / add_run)."""
    from docx import Document
    from docx.enum.text import WD_BREAK

    from app.export.model import PageBreak, Para

    doc = Document()
    for block in model.blocks:
        if isinstance(block, PageBreak):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(block, Para):
            p = doc.add_paragraph(style=block.style)
            for r in block.runs:
                p.add_run(r.text).bold = r.bold
        else:
            table = doc.add_table(rows=0, cols=len(block.widths_mm), style="Table Grid")
            for row in block.rows:
                cells = table.add_row().cells
                col = 0
                for c in row:
                    cell = cells[col] if c.span == 1 else cells[col].merge(cells[col + c.span - 1])
                    for i, para in enumerate(c.blocks):
                        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph(style=para.style)
                        for r in para.runs:
                            p.add_run(r.text).bold = r.bold
                    col += c.span
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--pdf-runs", type=int, default=3)
    args = ap.parse_args()
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.domain.policy import SYSTEM
    from app.export import assessment_doc
    from app.models import Assessment, Jimu, Organisation
    from app.services import assessments, exports

    url = prepare_database()
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        org = s.exec(select(Organisation)).first()
        actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": org.id})
        jid = s.exec(select(Jimu.id).where(Jimu.name == "住民基本台帳に関する事務")).one()
        aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).one()
        v = assessments.current_version(s, aid)
        full, build_only, floor = [], [], []
        size = 0
        for _ in range(args.runs + 2):
            t0 = time.perf_counter()
            out = exports.export(s, actor=actor, version_id=v.id, edition="full", today=date.today())
            full.append(time.perf_counter() - t0)
            size = len(out.content)
            bundle = exports.bundle(s, actor=actor, version_id=v.id, edition="full")
            t0 = time.perf_counter()
            model = assessment_doc.build(bundle, "full")
            build_only.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            floor_render(model)
            floor.append(time.perf_counter() - t0)
        full, build_only, floor = full[2:], build_only[2:], floor[2:]
        n_paras = sum(1 for b in model.blocks if type(b).__name__ == "Para")
        n_tables = sum(1 for b in model.blocks if type(b).__name__ == "Table")
        n_cells = sum(len(r) for b in model.blocks if type(b).__name__ == "Table" for r in b.rows)
    med, fmed = statistics.median(full), statistics.median(floor)
    print(f"demo 全項目 (住基, 3 files): {n_paras} top-level paragraphs, {n_tables} tables, {n_cells} cells, "
          f"{size:,} bytes")
    print(f"export (load + build + render, in-process): median {med * 1000:.0f} ms over {args.runs} runs "
          f"(document model alone {statistics.median(build_only) * 1000:.0f} ms)")
    print(f"floor (same blocks with bare python-docx calls): median {fmed * 1000:.0f} ms")
    print(f"ratio export / floor: {med / fmed:.2f}")
    per_form(engine, actor, runs=args.runs, pdf_runs=args.pdf_runs)


DEMO_FORMS = (("full", "住民基本台帳に関する事務", "全項目"), ("focused", "個人住民税の賦課徴収に関する事務", "重点"),
              ("basic", "児童手当の支給に関する事務", "基礎"))


def per_form(engine, actor, *, runs: int, pdf_runs: int) -> None:
    """docx and PDF export times of the demo 全項目 / 重点 / 基礎, from the service (what the page calls)."""
    import shutil

    from sqlmodel import Session, select

    from app.models import Assessment, Jimu
    from app.services import assessments, exports

    has_soffice = bool(shutil.which("soffice") or shutil.which("libreoffice"))
    with Session(engine, expire_on_commit=False) as s:
        for form, jimu, label in DEMO_FORMS:
            jid = s.exec(select(Jimu.id).where(Jimu.name == jimu)).one()
            aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == form)).first()
            v = assessments.current_version(s, aid)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                exports.export(s, actor=actor, version_id=v.id, edition="full", today=date.today())
                times.append(time.perf_counter() - t0)
            line = f"{label} ({jimu}): docx median {statistics.median(times) * 1000:.0f} ms over {runs} runs"
            if has_soffice and pdf_runs:
                ptimes = []
                for _ in range(pdf_runs):
                    t0 = time.perf_counter()
                    exports.export(s, actor=actor, version_id=v.id, edition="full", fmt="pdf", today=date.today())
                    ptimes.append(time.perf_counter() - t0)
                line += f"; PDF median {statistics.median(ptimes):.2f} s over {pdf_runs} runs"
            else:
                line += "; PDF skipped (LibreOffice is not installed)"
            print(line)


if __name__ == "__main__":
    main()
