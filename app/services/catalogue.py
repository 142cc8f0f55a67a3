"""The shipped form definitions, loaded once per process (they are immutable data)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from app.config import get_settings
from app.domain.forms import Catalogue, Definition, load_catalogue
from app.models import FormLabel
from app.services import memo


@lru_cache(maxsize=4)
def _load(path: str) -> Catalogue:
    return load_catalogue(Path(path))


def catalogue(path: Path | None = None) -> Catalogue:
    return _load(str(path or get_settings().forms_dir))


def definition(form: str, version: str) -> Definition:
    return catalogue().get(form, version)


def title_items() -> list[str]:
    """The ids of every shipped definition's 評価書名 item (the one filled from the 事務's title)."""
    return sorted({t for d in catalogue().all() if (t := d.prefilled_by("jimu.title"))})


def labels(session: Session) -> dict[tuple[str, str], str]:
    """Printed version labels, with administrators' corrections applied."""
    out = {(d.form, d.version): d.label for d in catalogue().all()}
    for form, version, label in memo.once(session, "form_labels", lambda: session.exec(
            select(FormLabel.form, FormLabel.version, FormLabel.label)).all()):
        out[(form, version)] = label
    return out


def version_labels(session: Session, form: str) -> dict[str, str]:
    """{"r06-10": "[令和6年10月 様式4]"} for one form: what screens show instead of the internal version code."""
    return {version: label for (f, version), label in labels(session).items() if f == form}
