"""Load the 非公表 flags and apply app.domain.redaction to what a published artefact prints."""
from __future__ import annotations

from sqlmodel import Session, col, select

from app.domain import redaction
from app.models import Answer, AssessmentVersion, ChangeRow


def withheld_of_assessment(session: Session, assessment_id: int, max_seq: int | None = None
                           ) -> tuple[set[tuple[str, str]], set[str]]:
    """({(file uid, item id)}, {answer strings}) flagged 非公表 in any version of the 評価書 up to `max_seq`.

    Every version counts: the 変更前 text of a change row comes from an earlier version.
    """
    q = (select(Answer.file_uid, Answer.item_id, Answer.value)
         .join(AssessmentVersion, col(AssessmentVersion.id) == Answer.version_id)
         .where(AssessmentVersion.assessment_id == assessment_id, Answer.withheld == True))
    if max_seq is not None:
        q = q.where(AssessmentVersion.seq <= max_seq)
    keys, secrets = set(), set()
    for uid, item, value in session.exec(q).all():
        keys.add((uid or "", item))
        secrets |= redaction.text_strings(value)
    return keys, secrets


def change_row(row: ChangeRow, keys: set[tuple[str, str]], secrets: set[str]) -> tuple[str, str]:
    """(before, after) of a 変更箇所 row as the public editions print it. Generated rows are matched by their item;
    hand-written and merged rows are also searched for the text of 非公表 answers."""
    return redaction.change_row_text(item_id=row.item_id, file_uid=row.file_uid, key=row.key, before=row.before_text,
                                     after=row.after_text, withheld=keys,
                                     secrets=set() if row.source == "generated" else secrets)
