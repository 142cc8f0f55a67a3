"""Parse pages and check the invariants every page must keep (style-anchors §13)."""
from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def check_page(soup: BeautifulSoup) -> BeautifulSoup:
    assert soup.title and soup.title.get_text(strip=True), "page has no <title>"
    h1 = soup.find_all("h1")
    assert len(h1) == 1, f"expected exactly one <h1>, found {len(h1)}"
    ids = Counter(el["id"] for el in soup.find_all(id=True))
    dupes = [i for i, n in ids.items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.get("type") in ("hidden", "submit", "button"):
            continue
        cid = control.get("id")
        assert cid, f"control without id: {control}"
        assert soup.find("label", attrs={"for": cid}) or control.get("aria-label"), f"control without label: {cid}"
    for form in soup.find_all("form"):
        assert form.get("action") is not None, f"form without action: {form.get('id')}"
        if (form.get("method") or "get").lower() == "post":
            assert form.find("input", attrs={"name": "csrftoken"}), f"POST form without CSRF token: {form.get('action')}"
    for link in soup.select(".error-summary a[href^='#']"):
        assert soup.find(id=link["href"][1:]), f"error summary links to missing id {link['href']}"
    for tag in soup.find_all(["script", "link", "img"]):
        src = tag.get("src") or tag.get("href") or ""
        assert not src.startswith(("http://", "https://", "//")), f"external resource: {src}"
    assert not soup.find_all("script", src=False), "inline <script> found"
    assert not soup.find_all(style=True), "inline style attribute found"
    return soup


def text_of(soup: BeautifulSoup, selector: str) -> str:
    el = soup.select_one(selector)
    assert el is not None, f"no element matches {selector}"
    return el.get_text(" ", strip=True)
