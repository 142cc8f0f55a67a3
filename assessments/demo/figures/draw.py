"""Draws the demo (別添1) 事務の内容 diagrams with Pillow and IPAex Gothic (run by hand; the PNGs are committed).

    .venv/bin/python assessments/demo/figures/draw.py      # writes juki_flow.png and kokuho_flow.png here
"""
from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
W, H = 1800, 1150
INK, LINE, FILL, ZONE = (20, 20, 20), (40, 40, 40), (255, 255, 255), (238, 243, 250)


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def box(d: ImageDraw.ImageDraw, xy, lines: list[str], *, fill=FILL, size=30) -> None:
    d.rounded_rectangle(xy, radius=14, outline=LINE, width=3, fill=fill)
    f = font(size)
    x0, y0, x1, y1 = xy
    total = len(lines) * (size + 8)
    y = (y0 + y1 - total) / 2
    for text in lines:
        tw = d.textlength(text, font=f)
        d.text(((x0 + x1 - tw) / 2, y), text, font=f, fill=INK)
        y += size + 8


def arrow(d: ImageDraw.ImageDraw, a, b, label: str = "", *, both: bool = False, offset=(0, -40)) -> None:
    d.line([a, b], fill=LINE, width=4)
    for tip, tail in ((b, a), (a, b)) if both else ((b, a),):
        ang = math.atan2(tip[1] - tail[1], tip[0] - tail[0])
        pts = [tip] + [(tip[0] - 24 * math.cos(ang + s * 0.45), tip[1] - 24 * math.sin(ang + s * 0.45)) for s in (1, -1)]
        d.polygon(pts, fill=LINE)
    if label:
        f = font(26)
        mx, my = (a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1]
        tw = d.textlength(label, font=f)
        d.rectangle([mx - tw / 2 - 6, my - 4, mx + tw / 2 + 6, my + 32], fill=(255, 255, 255))
        d.text((mx - tw / 2, my), label, font=f, fill=INK)


def title(d: ImageDraw.ImageDraw, text: str) -> None:
    d.text((60, 36), text, font=font(40), fill=INK)


def legend(d: ImageDraw.ImageDraw, lines: list[str]) -> None:
    f = font(26)
    y = H - 40 - len(lines) * 38
    for text in lines:
        d.text((70, y), text, font=f, fill=INK)
        y += 38


def zone(d: ImageDraw.ImageDraw, xy, label: str) -> None:
    d.rectangle(xy, fill=ZONE, outline=(150, 160, 180), width=2)
    d.text((xy[0] + 16, xy[1] + 10), label, font=font(26), fill=(60, 60, 90))


def juki() -> Image.Image:
    im = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(im)
    title(d, "住民基本台帳に関する事務 特定個人情報の流れ")
    zone(d, (400, 120, 1200, 950), "市(市民課・庁内)")
    box(d, (40, 300, 310, 460), ["住民", "(届出人)"])
    box(d, (460, 190, 780, 330), ["市民課窓口", "(受付・本人確認)"])
    box(d, (460, 480, 780, 650), ["住民記録システム", "(住民基本台帳", "ファイル)"], size=28)
    box(d, (860, 190, 1160, 330), ["住基ネット", "(市町村CS)"])
    box(d, (860, 480, 1160, 650), ["団体内統合", "宛名システム"])
    box(d, (860, 780, 1160, 920), ["庁内の他業務", "(税・国保・福祉等)"], size=28)
    box(d, (1320, 190, 1760, 330), ["都道府県サーバ", "・全国サーバ"])
    box(d, (1320, 480, 1760, 650), ["他の市町村", "(転出元・転入先)"])
    arrow(d, (310, 340), (460, 260), "①届出", offset=(-10, -50))
    arrow(d, (620, 330), (620, 480), "②入力", offset=(70, -16))
    arrow(d, (780, 500), (860, 320), "③", offset=(-30, -10))
    arrow(d, (1160, 260), (1320, 260), "④通知", offset=(0, -50))
    arrow(d, (1160, 320), (1320, 530), "⑤転出・転入通知", both=True, offset=(10, -20))
    arrow(d, (780, 565), (860, 565))
    arrow(d, (1010, 650), (1010, 780), "⑥庁内連携", offset=(90, -16))
    arrow(d, (460, 600), (310, 440), "⑦交付", offset=(-20, 30))
    legend(d, ["①転入・転出等の届出を受け、本人確認書類で本人確認を行う。②異動情報と個人番号を住民記録システムに入力する。",
               "③④本人確認情報を住基ネットを通じて都道府県知事(機構)に通知する。⑤転出元・転入先の市町村と通知を送受信する。",
               "⑥庁内の他業務へは団体内統合宛名システムを通じて必要な情報だけを連携する。⑦請求に基づき住民票の写し等を交付する。"])
    return im


def kokuho() -> Image.Image:
    im = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(im)
    title(d, "国民健康保険に関する事務 特定個人情報の流れ")
    zone(d, (420, 120, 1240, 760), "市(保険年金課・庁内)")
    box(d, (60, 300, 330, 460), ["被保険者", "・世帯主"])
    box(d, (480, 190, 820, 330), ["保険年金課窓口", "(受付・本人確認)"])
    box(d, (480, 470, 820, 640), ["国保システム", "(国保被保険者", "ファイル)"], size=28)
    box(d, (900, 470, 1200, 640), ["団体内統合", "宛名システム"])
    box(d, (900, 190, 1200, 330), ["住民記録システム", "(異動情報)"], size=28)
    box(d, (1330, 470, 1740, 640), ["中間サーバー"])
    box(d, (1330, 760, 1740, 900), ["情報提供ネットワーク", "システム"])
    box(d, (1330, 190, 1740, 330), ["国保連合会", "(委託先)"])
    arrow(d, (330, 360), (480, 260), "①届出・申請", offset=(-40, -60))
    arrow(d, (650, 330), (650, 470), "②入力", offset=(80, -16))
    arrow(d, (900, 300), (800, 470), "③異動情報", offset=(40, 0))
    arrow(d, (820, 555), (900, 555))
    arrow(d, (1200, 555), (1330, 555), "④", offset=(0, -44))
    arrow(d, (1535, 640), (1535, 760), "⑤照会・提供", both=True, offset=(110, -16))
    arrow(d, (820, 480), (1330, 300), "⑥資格・給付情報", offset=(60, 30))
    legend(d, ["①資格取得・喪失の届出や給付の申請を受け、本人確認を行う。②届出の内容と個人番号を国保システムに入力する。",
               "③住民記録システムから異動情報を受ける。④⑤所得や他の保険の資格を中間サーバーを通じて他機関に照会し、求めに応じて提供する。",
               "⑥審査支払・資格管理のため、国保連合会(委託先)に必要な情報を送る。"])
    return im


if __name__ == "__main__":
    for name, draw in (("juki_flow.png", juki), ("kokuho_flow.png", kokuho)):
        draw().save(HERE / name, "PNG", optimize=True)
        print(HERE / name)
