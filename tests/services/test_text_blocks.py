"""共通記載 on the demo: insert from the editor's write path, the 固定 guard (a forged post changes nothing), the
調整可 diff, proposals after a change, accept → a campaign of its own, keep; published versions never change."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.domain import blocks as B
from app.domain.answers import ParsedPage
from app.errors import Conflict, ValidationFailed
from app.models import (
    Answer,
    Assessment,
    AssessmentVersion,
    Campaign,
    CampaignLink,
    ChangeRow,
    Jimu,
    PageLock,
    TextBlock,
    TextBlockDecision,
    TextBlockUse,
    User,
)
from app.services import answers, assessments, auth, block_proposals, catalogue, text_blocks


def actor_of(db, login="records"):
    return auth.actor_for(db, db.exec(select(User).where(User.login_id == login)).one())

TODAY = date(2026, 11, 23)
JLIS, ACCESS, CLOUD = ("住基ネット(地方公共団体情報システム機構)を通じた事務の流れ", "アクセス権限の付与と失効(庁内共通の措置)",
                       "ガバメントクラウドの利用における措置")


def block(db, title) -> TextBlock:
    return db.exec(select(TextBlock).where(TextBlock.title == title)).one()


def kokuho(db) -> AssessmentVersion:
    a = db.exec(select(Assessment).join(Jimu).where(Jimu.name == "国民健康保険に関する事務", Assessment.form == "full")).one()
    return assessments.current_version(db, a.id)


def item_of(db, v, type_):
    """The first item of `type_` on an assessment-scope page of the version (and that page)."""
    d = catalogue.definition("full", v.form_version)
    for page in d.pages:
        if page.scope == "assessment":
            for item in page.walk():
                if item.type == type_ and not item.readonly and item.answerable:
                    return page, item
    raise AssertionError(type_)


def save(db, v, page, *, op="", values=None, uid="", actor=None):
    lock = db.get(PageLock, (v.id, page.id, uid)).lock
    return answers.save_page(db, actor=actor or actor_of(db, "hoken"), version_id=v.id, page_id=page.id,
                             file_uid=uid, lock=str(lock), parsed=ParsedPage(values=values or {}), op=op, today=TODAY)


def value(db, v, item_id, uid=""):
    return db.exec(select(Answer.value).where(Answer.version_id == v.id, Answer.item_id == item_id,
                                              Answer.file_uid == uid)).first()


def test_demo_blocks_are_taken_where_the_wording_already_is(db):
    uses = db.exec(select(TextBlockUse)).all()
    by = {}
    for u in uses:
        by.setdefault(db.get(TextBlock, u.block_id).title, []).append(u.level)
    assert by[JLIS] == ["adjustable"] and by[ACCESS] == ["fixed"] * 4 and CLOUD not in by
    assert block(db, ACCESS).revision == 2 and all(u.revision == 1 for u in uses if u.block_id == block(db, ACCESS).id)


def test_fixed_text_is_inserted_then_a_forged_post_is_refused(db):
    v = kokuho(db)
    page, item = item_of(db, v, "longtext")
    jlis = block(db, JLIS)
    save(db, v, page, op=f"blk|{item.id}|{jlis.id}|fixed")
    assert value(db, v, item.id) == jlis.text
    use = db.exec(select(TextBlockUse).where(TextBlockUse.version_id == v.id, TextBlockUse.item_id == item.id)).one()
    assert (use.level, use.revision, use.local_text) == ("fixed", 1, jlis.text)
    with pytest.raises(ValidationFailed) as exc:
        save(db, v, page, values={item.id: "書き換えた記載"})
    assert "共通記載(固定)" in next(iter(exc.value.errors.values()))
    db.rollback()
    assert value(db, v, item.id) == jlis.text
    # a second block cannot go into the same text item; unlinking (records) leaves the text as the 評価書's own
    with pytest.raises(ValidationFailed):
        save(db, v, page, op=f"blk|{item.id}|{jlis.id}|adjustable")
    db.rollback()
    save(db, v, page, op=f"blkrm|{item.id}|{use.id}", actor=actor_of(db, "records"))
    assert db.exec(select(TextBlockUse).where(TextBlockUse.id == use.id)).first() is None
    save(db, v, page, values={item.id: "書き換えた記載"})
    assert value(db, v, item.id) == "書き換えた記載"


def test_staff_cannot_unlink_a_fixed_block(db):
    from app.errors import Forbidden

    v = kokuho(db)
    page, item = item_of(db, v, "longtext")
    save(db, v, page, op=f"blk|{item.id}|{block(db, JLIS).id}|fixed")
    use = db.exec(select(TextBlockUse).where(TextBlockUse.version_id == v.id, TextBlockUse.item_id == item.id)).one()
    with pytest.raises(Forbidden):
        save(db, v, page, op=f"blkrm|{item.id}|{use.id}")


def test_adjustable_text_keeps_local_edits_and_shows_the_diff(db):
    v = kokuho(db)
    page, item = item_of(db, v, "longtext")
    jlis = block(db, JLIS)
    save(db, v, page, op=f"blk|{item.id}|{jlis.id}|adjustable")
    local = jlis.text + "\n7.市独自の補足。"
    save(db, v, page, values={item.id: local})
    use = db.exec(select(TextBlockUse).where(TextBlockUse.version_id == v.id, TextBlockUse.item_id == item.id)).one()
    assert use.local_text == local
    assert ("+", "\n7.市独自の補足。") in B.inline_diff(jlis.text, local)


def test_reference_copies_once_without_a_link(db):
    v = kokuho(db)
    page, item = item_of(db, v, "longtext")
    before = value(db, v, item.id) or ""
    save(db, v, page, op=f"blk|{item.id}|{block(db, JLIS).id}|reference")
    assert value(db, v, item.id).endswith(block(db, JLIS).text) and value(db, v, item.id).startswith(before.strip())
    assert text_blocks.editor_uses(db, v.id, "").get(item.id) is None  # recorded, but no link (no proposals)
    assert db.exec(select(TextBlockUse.level).where(TextBlockUse.item_id == item.id,
                                                    TextBlockUse.version_id == v.id)).one() == "reference"


def test_fixed_measures_cannot_be_edited_deleted_or_moved(db):
    v = kokuho(db)
    page, item = item_of(db, v, "measures")
    cloud = block(db, CLOUD)
    save(db, v, page, op=f"blk|{item.id}|{cloud.id}|fixed")
    use = db.exec(select(TextBlockUse).where(TextBlockUse.version_id == v.id, TextBlockUse.item_id == item.id)).one()
    stored = value(db, v, item.id)
    mid = use.entries["1"]
    forged = {aud: [dict(m, text="書き換え") if m["id"] == mid else m for m in lst] for aud, lst in stored.items()}
    deleted = {aud: [m for m in lst if m["id"] != mid] for aud, lst in stored.items()}
    for bad in (forged, deleted):
        with pytest.raises(ValidationFailed):
            save(db, v, page, values={item.id: bad})
        db.rollback()
    assert value(db, v, item.id) == stored
    reordered = {aud: list(reversed(lst)) for aud, lst in stored.items()}
    save(db, v, page, values={item.id: reordered})  # the order among the measures stays free


def test_proposals_accept_as_a_campaign_and_published_versions_stay(db):
    access = block(db, ACCESS)
    records = actor_of(db)
    props = {p.jimu.name: p for p in block_proposals.proposals(db, actor=records, block=access)}
    assert {k: p.status for k, p in props.items()} == {
        "住民基本台帳に関する事務": "proposed", "個人住民税の賦課徴収に関する事務": "proposed", "国民健康保険に関する事務": "proposed"}
    published = {n: props[n].version for n in ("住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務")}
    frozen = {n: {(a.file_uid, a.item_id): a.value for a in db.exec(select(Answer).where(Answer.version_id == v.id))}
              for n, v in published.items()}
    r = block_proposals.accept(db, actor=records, block_id=access.id, today=TODAY,
                               assessment_ids=[p.assessment.id for p in props.values()])
    assert r.campaign is not None and r.created == 2 and len(r.in_place) == 1
    c = db.get(Campaign, r.campaign.id)
    assert access.title in c.name and access.title in c.reason
    for n, v in published.items():  # nothing in a published version changed
        assert {(a.file_uid, a.item_id): a.value for a in db.exec(select(Answer).where(Answer.version_id == v.id))} \
            == frozen[n]
        link = db.exec(select(CampaignLink).where(CampaignLink.campaign_id == c.id,
                                                  CampaignLink.assessment_id == v.assessment_id)).one()
        new = db.get(AssessmentVersion, link.version_id)
        use = db.exec(select(TextBlockUse).where(TextBlockUse.version_id == new.id,
                                                 TextBlockUse.block_id == access.id)).one()
        assert use.revision == 2 and "棚卸し" in use.local_text
        assert "棚卸し" in str(value(db, new, use.item_id, use.file_uid))
        rows = db.exec(select(ChangeRow).where(ChangeRow.assessment_id == v.assessment_id,
                                               ChangeRow.version_seq == new.seq)).all()
        assert rows and all(access.title in row.timing_note for row in rows)  # the 変更箇所 names the block
    kv = props["国民健康保険に関する事務"].version  # a working draft takes it in place
    assert all(u.revision == 2 for u in db.exec(select(TextBlockUse).where(TextBlockUse.version_id == kv.id)))
    assert block_proposals.proposals(db, actor=records, block=access) == []
    decisions = db.exec(select(TextBlockDecision).where(TextBlockDecision.block_id == access.id)).all()
    assert sorted(d.decision for d in decisions) == ["accepted"] * 3


def test_keep_is_recorded_and_the_next_change_proposes_again(db):
    access = block(db, ACCESS)
    records = actor_of(db)
    zei = next(p for p in block_proposals.proposals(db, actor=records, block=access) if "住民税" in p.jimu.name)
    block_proposals.keep(db, actor=records, block_id=access.id, assessment_id=zei.assessment.id)
    again = {p.jimu.name: p.status for p in block_proposals.proposals(db, actor=records, block=access)}
    assert again["個人住民税の賦課徴収に関する事務"] == "kept"
    with pytest.raises(ValidationFailed):  # kept: cannot be accepted for this revision
        block_proposals.accept(db, actor=records, block_id=access.id, today=TODAY,
                               assessment_ids=[zei.assessment.id])
    db.rollback()
    data = text_blocks.as_form(access) | {"measures": {"staff": ["別の記載"]}, "reason": "再度の変更"}
    text_blocks.save(db, actor=records, block_id=access.id, data=data)
    again = {p.jimu.name: p.status for p in block_proposals.proposals(db, actor=records, block=access)}
    assert again["個人住民税の賦課徴収に関する事務"] == "proposed"


def test_a_stale_block_edit_is_a_conflict_and_staff_cannot_edit(db):
    from app.errors import Forbidden

    jlis = block(db, JLIS)
    data = text_blocks.as_form(jlis) | {"text": jlis.text + "(追記)", "reason": "追記"}
    text_blocks.save(db, actor=actor_of(db), block_id=jlis.id, data=dict(data))
    with pytest.raises(Conflict):
        text_blocks.save(db, actor=actor_of(db), block_id=jlis.id, data=data | {"text": "別の人の記載"})
    db.rollback()
    with pytest.raises(Forbidden):
        text_blocks.save(db, actor=actor_of(db, "hoken"), block_id=jlis.id, data=data)
    with pytest.raises(ValidationFailed):  # a content change needs its reason
        text_blocks.save(db, actor=actor_of(db), block_id=jlis.id,
                         data=text_blocks.as_form(block(db, JLIS)) | {"text": "変更"})
