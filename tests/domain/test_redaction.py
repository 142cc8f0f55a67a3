"""app.domain.redaction: the pure rules behind every published artefact."""
from __future__ import annotations

from app.domain import redaction as r

HIDDEN = {("f1", "III.2.r1.j"), ("", "I.1.1"), ("f1", "II.3.group")}


def row(item="", uid="", key="", before="前", after="後", secrets=frozenset()):
    return r.change_row_text(item_id=item, file_uid=uid, key=key, before=before, after=after, withheld=HIDDEN,
                             secrets=set(secrets))


def test_row_about_a_withheld_item_prints_withheld_on_both_sides():
    assert row("III.2.r1.j", "f1", "f1|III.2.r1.j") == (r.WITHHELD, r.WITHHELD)
    assert row("III.2.r1.j", "f2", "f2|III.2.r1.j") == ("前", "後")      # same item, another file
    assert row("I.1.1", "", "|I.1.1", before="") == ("", r.WITHHELD)      # an addition stays an addition


def test_group_child_and_merged_rows_follow_their_keys():
    assert row("II.3.name", "f1", "f1|II.3.group|r7|II.3.name") == (r.WITHHELD, r.WITHHELD)
    assert row("", "", "merged|f2|X||f1|III.2.r1.j") == (r.WITHHELD, r.WITHHELD)
    assert row("", "", "merged|f2|X||f2|Y") == ("前", "後")


def test_hand_written_rows_quoting_withheld_text_are_withheld():
    assert row(before="旧: 静脈認証で入室管理", secrets={"静脈認証で入室管理"}) == (r.WITHHELD, r.WITHHELD)


def test_public_payload_keeps_only_what_is_printed():
    payload = {"answers": [{"file": "", "item": "a", "value": "秘", "withheld": True, "withheld_reason": "理由"},
                           {"file": "", "item": "b", "value": "公", "withheld": False, "withheld_reason": ""}],
               "actions": [{"content": "改善"}], "change_classes": [{"decision": "important"}], "format": "x"}
    out = r.public_payload(payload)
    assert "actions" not in out and "change_classes" not in out and out["format"] == "x"
    assert [a["value"] for a in out["answers"]] == [None, "公"] and out["answers"][0]["withheld_reason"] == ""
    assert payload["answers"][0]["value"] == "秘"  # the input is not changed


def test_scrub_and_text_strings():
    secrets = r.text_strings({"checked": ["個人番号"], "texts": {"その他": "地下2階のサーバー室\n静脈認証"}})
    assert {"個人番号", "地下2階のサーバー室", "静脈認証"} <= secrets
    assert r.scrub("場所は地下2階のサーバー室です", secrets) == f"場所は{r.WITHHELD}です"
    assert r.scrub("有無", {"有"}) == "有無"  # too short to search for in free text
