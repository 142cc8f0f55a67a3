"""共通記載 of the demo city: the J-LIS (住基ネット) wording, the city's common access-rights measures and the
measures for ガバメントクラウド. The first two are taken under a block where the demo 評価書 already hold their
wording (no answer changes), and the access-rights block is then revised once, so the demo shows proposals."""
from __future__ import annotations

from sqlmodel import Session, select

from app.domain.answer_types import holds_measures
from app.domain.policy import Actor
from app.models import Answer, Assessment, AssessmentVersion, TextBlock
from app.services import assessments, catalogue, text_blocks

JLIS = ("3.住民記録システムから住基ネット(コミュニケーションサーバ)に本人確認情報の更新情報を送信し、都道府県知事に通知する。\n"
        "4.出生等により新たに住民票を作成した者については、住基ネットを通じて機構に個人番号とすべき番号の生成を求め、"
        "生成された番号を住民票に記載する。\n"
        "5.個人番号を新たに記載した者について送付先情報を作成し、住基ネットを通じて機構に送付する。機構は個人番号通知書及び"
        "個人番号カード交付申請書を作成し、本人に送付する。\n"
        "6.転出の届出を受けた場合は転出証明書情報を住基ネットを通じて転入地の市町村に送付し、転入の届出を受けた場合は"
        "転出地の市町村から転出証明書情報を受信する。")
ACCESS = "アクセス権限は所属長の申請に基づき情報政策課が付与し、人事異動・退職の際は発令日までに権限を失効させている。"
BLOCKS = [
    # (title, kind, text or measures, note, level it is taken under where the wording is found)
    ("住基ネット(地方公共団体情報システム機構)を通じた事務の流れ", "text", JLIS,
     "機構(J-LIS)が示す住基ネットの説明を基にした共通の記載。住民基本台帳の評価書で使用する。", "adjustable"),
    ("アクセス権限の付与と失効(庁内共通の措置)", "measures", {"staff": [ACCESS]},
     "情報政策課が管理する庁内ネットワーク・業務システムの利用権限の措置。各課の評価書で共通に使用する。", "fixed"),
    ("ガバメントクラウドの利用における措置", "measures", {
        "external": ["ガバメントクラウドのクラウド事業者は、特定個人情報にアクセスできない設定とし、契約により取扱いを禁止している。"],
        "system": ["ガバメントクラウド上の環境は、国が定めるセキュリティ基準に適合したものを利用し、通信は閉域網を経由して暗号化している。"]},
     "標準準拠システムへの移行に伴う共通の措置(デジタル庁の示す考え方を基に情報政策課が作成)。", ""),
]
REVISED_ACCESS = ACCESS + "権限の付与状況は年1回棚卸しを行い、不要な権限を削除している。"


def seed(session: Session, *, organisation_id: int) -> int:
    """Create the demo blocks once, record where the demo 評価書 already hold them, then revise one."""
    if session.exec(select(TextBlock).where(TextBlock.organisation_id == organisation_id)).first():
        return 0
    actor = Actor(user_id=None, login_id="demo", role="system", organisation_id=organisation_id)
    made = []
    for title, kind, content, note, level in BLOCKS:
        data = {"title": title, "kind": kind, "note": note, "active": True}
        data.update({"text": content} if kind == "text" else {"measures": content})
        made.append((text_blocks.save(session, actor=actor, data=data), level))
    for a in session.exec(select(Assessment).where(Assessment.organisation_id == organisation_id)
                          .order_by(Assessment.number, Assessment.form)).all():
        v = assessments.current_version(session, a.id)
        _adopt_all(session, a, v, made)
    session.commit()
    access = made[1][0]
    text_blocks.save(session, actor=actor, block_id=access.id, data={
        "title": access.title, "note": access.note, "active": True, "lock_version": access.lock_version,
        "measures": {"staff": [REVISED_ACCESS]}, "reason": "年1回の権限の棚卸しを全庁で実施することとしたため。"})
    return len(made)


def _adopt_all(session: Session, a: Assessment, v: AssessmentVersion, made: list) -> None:
    d = catalogue.definition(a.form, v.form_version)
    for ans in session.exec(select(Answer).where(Answer.version_id == v.id).order_by(Answer.id)).all():
        if not d.has(ans.item_id):
            continue
        item = d.item(ans.item_id)
        for block, level in made:
            if level and (holds_measures(item) if block.kind == "measures" else item.type == "longtext"):
                text_blocks.adopt(session, block=block, version=v, file_uid=ans.file_uid, item_id=ans.item_id,
                                  level=level, value=ans.value)
