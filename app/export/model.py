"""A plain document model: what to print, in order, independent of python-docx (pure, testable)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass
class Run:
    text: str
    bold: bool = False


@dataclass
class Picture:
    """An image printed in its own paragraph, `width_mm` wide (height by the image's aspect, capped)."""
    data: bytes                        # PNG
    width_px: int
    height_px: int
    width_mm: float
    alt: str = ""


@dataclass
class Para:
    runs: list[Run]
    style: str = "Normal"              # Normal | Heading 1..3 | Title | List Bullet | Caption
    align: Literal["left", "center", "right"] = "left"
    keep_with_next: bool = False
    size_pt: float | None = None
    at_foot: bool = False              # placed at the foot of the page (the 版 label on a cover)
    picture: Picture | None = None     # a paragraph holding one image (its runs are empty)

    @classmethod
    def of(cls, text: str, style: str = "Normal", *, bold: bool = False, **kw) -> Para:
        return cls([Run(text, bold)], style, **kw)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass
class Cell:
    blocks: list[Para]
    shade: bool = False
    span: int = 1


@dataclass
class Table:
    rows: list[list[Cell]]
    widths_mm: list[float]
    header_rows: int = 0               # repeated at the top of every page the table runs onto


@dataclass
class PageBreak:
    pass


Block = Para | Table | PageBreak


@dataclass
class ExportDoc:
    title: str
    header_text: str
    blocks: list[Block] = field(default_factory=list)
    footer: Literal["dash", "n_of_n"] = "dash"
    landscape: bool = False
    subject: str = ""
    author: str = ""                   # 評価実施機関名 (file properties)
    created: datetime | None = None    # file properties created/modified; None: the time of rendering
    custom_json: str | None = None     # embedded as a custom XML part (lossless re-import)

    def texts(self) -> list[str]:
        """Every printed string, in order (tests and leak checks)."""
        out = [self.title, self.header_text]
        for b in self.blocks:
            if isinstance(b, Para):
                out.append(b.text)
            elif isinstance(b, Table):
                for row in b.rows:
                    for cell in row:
                        out.extend(p.text for p in cell.blocks)
        return out
