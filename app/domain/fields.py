"""The names of the editor's form fields and operations, built and parsed here only (pure).

A posted editor page carries fields named `<kind>|<item>[|<part>…]` (e.g. `m|III.2.r1.m|staff` is the text of a
staff measure) and at most one operation button `op=<kind>|<item>[|<arg>…]` (e.g. `move|III.2.r1.m|staff|2|system`).
Templates build both through the Jinja globals `field` and `op` (app/web.py); app/domain/answer_types.py reads
them; nothing else spells them.
"""
from __future__ import annotations

from dataclasses import dataclass

SEP = "|"

# field kinds
ANSWER = "a"            # the value of a plain control (text, choice, date, number; repeated for check boxes)
PRESENT = "p"           # marks an item the page showed (only those are read)
CHOICE_TEXT = "t"       # the text beside a choice with a text box: t|<key>|<choice index>
MEASURE = "m"           # the text of a measure: m|<item>|<audience> (repeated, in order)
MEASURE_ID = "mi"       # its id, in the same order
ROW = "r"               # a group row's id: r|<group> (repeated, in order); child keys are <group>|<row>|<child>
FIGURE_ID = "gi"        # a figure's entry id: gi|<item> (repeated, in order)
FIGURE_SHA = "gs"       # its stored picture
FIGURE_CAPTION = "gc"   # its caption
FIGURE_UPLOAD = "fu"    # the file chosen for 「図を追加」
FIGURE_NEW_CAPTION = "fc"  # the caption typed for it
WITHHELD = "w"          # 非公表
WITHHELD_REASON = "wr"
ACTION = "act"          # an improvement action: act|<judgement item>|content|owner|due

# operation kinds, by the answer type that owns them
MEASURE_OPS = ("add", "del", "move", "up", "down", "lib")
ROW_OPS = ("addrow", "delrow", "rowup", "rowdown")
FIGURE_OPS = ("figadd", "figdel", "figup", "figdown")
PREFILL = "prefill"     # take the register's value for an item


def name(kind: str, *parts: object) -> str:
    """A field name: name(MEASURE, "III.2.r1.m", "staff") == "m|III.2.r1.m|staff"."""
    return SEP.join((kind, *(str(p) for p in parts)))


def key(*parts: object) -> str:
    """The key of a value inside a group row: key(group, row id, child id)."""
    return SEP.join(str(p) for p in parts)


def op(kind: str, *parts: object) -> str:
    """An operation button's value: op("move", item, "staff", 2, "system")."""
    return SEP.join((kind, *(str(p) for p in parts)))


@dataclass(frozen=True)
class Op:
    kind: str
    item: str
    args: tuple[str, ...] = ()

    def index(self, n: int = 0) -> int:
        """The n-th argument as an index (ValueError / IndexError when it is not one)."""
        return int(self.args[n])


def parse_op(raw: str) -> Op | None:
    """The operation of a posted button, or None for no operation ('' or a value without an item)."""
    parts = raw.split(SEP) if raw else []
    if len(parts) < 2:
        return None
    return Op(parts[0], parts[1], tuple(parts[2:]))
