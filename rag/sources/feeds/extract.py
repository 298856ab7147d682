"""An article out of a fetched page (trafilatura), or out of the feed entry itself when the page has none."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from ..charset import decode_html
from ..records import extract_html
from .errors import FetchError
from .fetch import Page

log = logging.getLogger(__name__)

MIN_PAGE_CHARS = 200  # less text than this on a page is navigation or a teaser, not an article
MIN_SUMMARY_CHARS = 400  # a feed summary shorter than this is not indexed in place of the page


@dataclass(frozen=True)
class _Article:
    title: str
    text: str
    published: str  # YYYY-MM-DD or empty
    authors: tuple[str, ...]


def extract_article(page: Page) -> _Article | None:
    """Title, text, date and authors of an article page (trafilatura, no network), or None without text."""
    # The HTTP charset, else the one a <meta> tag declares, else UTF-8 (lenient).
    html = decode_html(page.body, page.content_type)
    if html is None:
        html = page.body.decode("utf-8", errors="replace")
    try:
        d = extract_html(html, url=page.url)
    except Exception:  # noqa: BLE001 - a broken page is a failure of that article only
        log.warning("trafilatura failed on %s", page.url, exc_info=True)
        return None
    if d is None:
        return None
    text = (d.get("text") or "").strip()
    if not text:
        return None
    authors = tuple(a.strip() for a in (d.get("author") or "").split(";") if a.strip())
    return _Article(" ".join((d.get("title") or "").split()), text, (d.get("date") or "")[:10], authors)


def _html_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed summary), paragraphs kept."""
    import lxml.html

    if "<" not in html:
        return html.strip()
    try:
        root = lxml.html.fromstring(f"<div>{html}</div>")
    except Exception:  # noqa: BLE001 - a broken summary is only a missing fallback
        return ""
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return re.sub(r"\n{3,}", "\n\n", root.text_content()).strip()


def _entry_text(entry: dict) -> str:
    """The longest text a feed entry carries itself (its content, else its summary)."""
    candidates = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    candidates.append(entry.get("summary") or "")
    texts = [_html_text(c) for c in candidates if c]
    return max(texts, key=len, default="")


def _entry_date(entry: dict) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # dict.get: no feedparser fallbacks or warnings
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return ""


def entry_article(entry: dict, page: Page) -> _Article:
    """The page's article, or the entry's own text when extraction finds none and it is substantial."""
    entry_title = " ".join((entry.get("title") or "").split())
    entry_date = _entry_date(entry)
    entry_author = (entry.get("author") or "").strip()
    found = extract_article(page)
    if found is not None and len(found.text) >= MIN_PAGE_CHARS:
        # The feed's date is the publisher's own; the page's is a guess by trafilatura.
        return _Article(found.title or entry_title or page.url, found.text, entry_date or found.published,
                        found.authors or ((entry_author,) if entry_author else ()))
    summary = _entry_text(entry)
    if len(summary) >= MIN_SUMMARY_CHARS:
        log.info("no article text on %s; indexing the feed entry's own text instead", page.url)
        return _Article(entry_title or page.url, summary, entry_date, (entry_author,) if entry_author else ())
    raise FetchError("no article text found on the page, and the feed entry's summary is too short "
                     "to index instead")
