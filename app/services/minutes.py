"""会議録 of a council meeting in Word; the public version leaves out every part flagged 非公開."""
from __future__ import annotations

from sqlmodel import Session

from app.domain.policy import Actor
from app.domain.redaction import scrub
from app.domain.wareki import wareki
from app.errors import Forbidden, NotFound
from app.models import Council, Meeting, Review
from app.services import assessments, council

PRIVATE_NOTE = "(非公開情報を含むため、この部分は公開していません。)"


def minutes_docx(session: Session, *, actor: Actor, meeting_id: int, public: bool) -> tuple[str, bytes]:
    from app.export.docx import render
    from app.export.model import Block, Cell, ExportDoc, Para, Table

    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("会議が見つかりません。")
    review = session.get(Review, meeting.review_id)
    if review is None:  # a meeting's review is a foreign key: always there
        raise NotFound("会議が見つかりません。")
    if actor.role == "council":
        if not council.can_read_review(session, actor, review):
            raise Forbidden("この会議録を閲覧する権限がありません。")
    else:
        assessments.get_version(session, actor=actor, version_id=review.version_id)
    body = session.get(Council, review.council_id)
    if body is None:  # likewise the review's council
        raise NotFound("会議が見つかりません。")
    title = f"{meeting.session_name} {body.name} 会議録" + ("(公開用)" if public else "")
    info = [("会議名", f"{meeting.session_name} {body.name}"), ("開催日", wareki(meeting.held_on)),
            ("場所", meeting.place or "-"), ("議題", meeting.agenda or "-"), ("出席者", meeting.attendance or "-"),
            ("公開・非公開の別", "公開" if meeting.public else "非公開")]
    rows = [[Cell([Para.of(k, bold=True)], shade=True), Cell([Para.of(line) for line in v.split("\n")])] for k, v in info]
    blocks: list[Block] = [Para.of(title, "Title", align="center"), Table(rows, [40, 130]),
                           Para.of("審議の経過", "Heading 1")]
    secrets: set[str] = set()
    if public:  # the public minutes never quote a 非公表 answer of the 評価書 under review
        from app.models import AssessmentVersion
        from app.services.redaction import withheld_of_assessment

        version = session.get(AssessmentVersion, review.version_id)
        if version is None:  # the review's version is a foreign key: always there
            raise NotFound("会議が見つかりません。")
        _, secrets = withheld_of_assessment(session, version.assessment_id)
    hidden = 0
    for entry in meeting.minutes or []:
        if public and entry.get("private"):
            hidden += 1
            last = blocks[-1]  # a paragraph: the table is followed by the 審議の経過 heading
            if hidden == 1 or not (isinstance(last, Para) and last.text == PRIVATE_NOTE):
                blocks.append(Para.of(PRIVATE_NOTE))
            continue
        speaker = entry.get("speaker", "")
        if speaker:
            blocks.append(Para.of(f"【{speaker}】", bold=True))
        blocks.extend(Para.of(line) for line in scrub(entry.get("text", ""), secrets).split("\n"))
    doc = ExportDoc(title=title, header_text=title, author=body.name, subject="会議録")
    doc.blocks = blocks
    suffix = "_公開用" if public else ""
    return f"{meeting.session_name}_{body.name}_会議録{suffix}.docx", render(doc)
