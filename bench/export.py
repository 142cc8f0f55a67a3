"""Issue 4 benchmark: the demo 全項目評価書 (住基, 3 files) exported in-process, median of 20 runs,
against a floor that writes the same paragraphs, tables and runs with bare python-docx calls.

    .venv/bin/python bench/export.py [--runs 20] [--pdf-runs 3]

Then each demo form (全項目 住基, 重点 住民税, 基礎 児童手当): docx median of --runs and, when soffice is installed,
PDF medians of --pdf-runs, cold (SPIA_PDF_WARM=0: a LibreOffice started per conversion) and warm (the slot's
LibreOffice kept running, converting over UNO; the first warm conversion, which starts it, is shown apart), and
the warm path with a python3 started per conversion instead of the long-lived UNO helper.
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


def _cpu_seconds() -> float:
    """CPU time of this process, its finished children (cold LibreOffice) and the running warm LibreOffice and
    UNO helpers (busy machines make wall times noisy; CPU time much less so)."""
    import os
    from pathlib import Path

    from app.config import get_settings
    from app.services import pdf

    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    pids = [h.proc.pid for h in pdf._helpers.values()]
    state = pdf.read_state(get_settings().pdf_slot_dir)
    if state.get("pid"):
        pids.append(state["pid"])
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def _pdf_mode(warm: bool) -> None:
    import os

    from app.config import get_settings

    os.environ["SPIA_PDF_WARM"] = "1" if warm else "0"
    get_settings.cache_clear()


def per_form(engine, actor, *, runs: int, pdf_runs: int) -> None:
    """docx and PDF export times of the demo 全項目 / 重点 / 基礎, from the service (what the page calls)."""
    import os
    import shutil
    import tempfile

    from sqlmodel import Session, select

    from app.models import Assessment, Jimu
    from app.services import assessments, exports, pdf

    has_soffice = bool(shutil.which("soffice") or shutil.which("libreoffice"))
    os.environ["SPIA_PDF_SLOT_DIR"] = tempfile.mkdtemp(prefix="spia-bench-slots-")  # not the server's slots
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
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
                def pdf_times(n: int, version_id: int = v.id) -> tuple[float, float]:
                    wall, cpu = [], []
                    for _ in range(n):
                        t0, c0 = time.perf_counter(), _cpu_seconds()
                        exports.export(s, actor=actor, version_id=version_id, edition="full", fmt="pdf", today=date.today())
                        wall.append(time.perf_counter() - t0)
                        cpu.append(_cpu_seconds() - c0)
                    return statistics.median(wall), statistics.median(cpu)

                _pdf_mode(warm=False)
                cold = pdf_times(pdf_runs)
                _pdf_mode(warm=True)
                first = pdf_times(1) if form == "full" else None  # the warm LibreOffice starts here
                warm = pdf_times(pdf_runs)
                modes = "warm" if pdf.last.get("mode") == "warm" else f"cold ({pdf.last.get('fallback')})"
                line += (f"; PDF median over {pdf_runs} runs: cold {cold[0]:.2f} s (CPU {cold[1]:.2f} s), "
                         f"warm {warm[0]:.2f} s (CPU {warm[1]:.2f} s; the last one {modes})")
                if first is not None:
                    line += f"; the first warm one, starting LibreOffice: {first[0]:.2f} s"
            else:
                line += "; PDF skipped (LibreOffice is not installed)"
            print(line)
        if has_soffice and pdf_runs:
            one_shot(s, actor, pdf_runs)
    pdf.shutdown()
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def one_shot(s, actor, pdf_runs: int) -> None:
    """The warm path with `python3 uno_convert.py convert` per conversion (a python3 start and a UNO connection each
    time) against the same warm LibreOffice, beside the long-lived helper that pdf.py uses."""
    import subprocess
    import tempfile
    from pathlib import Path

    from sqlmodel import select

    from app.config import get_settings
    from app.models import Assessment, Jimu
    from app.services import assessments, exports, pdf

    jid = s.exec(select(Jimu.id).where(Jimu.name == DEMO_FORMS[0][1])).one()
    aid = s.exec(select(Assessment.id).where(Assessment.jimu_id == jid, Assessment.form == "full")).first()
    docx = exports.export(s, actor=actor, version_id=assessments.current_version(s, aid).id, edition="full",
                          today=date.today()).content
    exe = exports.shutil.which(get_settings().soffice_path) or exports.shutil.which("libreoffice")
    helper, single = [], []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "a.docx", Path(tmp) / "a.pdf"
        src.write_bytes(docx)
        for _ in range(pdf_runs):
            t0 = time.perf_counter()
            pdf.convert(docx, exe)
            helper.append(time.perf_counter() - t0)
        state = pdf.read_state(get_settings().pdf_slot_dir)
        python = pdf.uno_python(exe)
        if not state or not python:
            return
        for _ in range(pdf_runs):
            t0 = time.perf_counter()
            subprocess.run([python, str(pdf.HELPER), "convert", state["pipe"], str(src), str(dst)], check=True,
                           env=pdf.converter_env(), capture_output=True)
            single.append(time.perf_counter() - t0)
    print(f"全項目 conversion only, warm: UNO helper (pdf.convert) median {statistics.median(helper):.2f} s; "
          f"python3 uno_convert.py convert per conversion median {statistics.median(single):.2f} s "
          f"over {pdf_runs} runs")


if __name__ == "__main__":
    main()
