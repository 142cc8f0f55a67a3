"""An iCalendar feed of a user's due dates (token in the URL, revocable), built with the icalendar library."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

from icalendar import Calendar, Event, vText
from sqlmodel import Session

from app.domain.text import strip_unsafe
from app.models.base import utcnow
from app.services import auth, due

STATUS_PREFIX = {"overdue": "【期限超過】", "due_30": "", "due_90": "", "later": ""}


def _text(value: str) -> vText:
    """An iCalendar TEXT value: control characters dropped, line breaks, `;`, `,` and `\\` escaped by vText.

    Every text property goes through here: a name or label typed with a line break (or stored before names were
    validated) would otherwise end the content line and break the whole feed.
    """
    return vText(strip_unsafe(value).replace("\t", " "))


def feed(session: Session, *, token: str, today: date) -> bytes | None:
    actor = auth.actor_for_token(session, token=token, bearer=True, purpose="calendar")
    if actor is None:
        return None
    cal = Calendar()
    cal.add("prodid", "-//SPIA//特定個人情報保護評価 支援システム//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _text(f"特定個人情報保護評価の期限({actor.display_name})"))
    stamp = utcnow()
    for row in due.rows(session, actor=actor, today=today):
        for d in row.items:
            ev = Event()
            digest = hashlib.sha1(d.label.encode()).hexdigest()[:10]
            ev.add("uid", f"spia-{row.assessment.id}-{d.kind}-{d.due_on.isoformat()}-{digest}@spia.local")
            # the feed leaves the system (calendar services): no improvement-action text, only what is due
            label = f"改善策の期限: {row.title}" if d.kind == "action" else d.label
            ev.add("summary", _text(STATUS_PREFIX.get(d.status, "") + label))
            ev.add("dtstart", d.due_on)
            ev.add("dtend", d.due_on + timedelta(days=1))
            ev.add("dtstamp", stamp)
            ev.add("description", _text(f"評価書番号 {row.assessment.number} {row.title}"))
            cal.add_component(ev)
    ical: bytes = cal.to_ical()  # icalendar leaves to_ical() unannotated
    return ical
