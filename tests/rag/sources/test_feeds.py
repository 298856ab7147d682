"""Feed subscriptions against a real HTTP server on loopback, with the real index behind them.

The server (``Site``) serves RSS and Atom feeds and article pages, honours ETag and
Last-Modified with 304s, can be slow, missing or oversized, and logs every request it
answers, so the tests can count what a sync downloaded. Nothing HTTP is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.core.errors import ConfigError
from rag.sources.feeds import FeedError, FeedSync, FeedsBusy, article_path
from rag.sources.feeds.state import feeds_lock
from rag.sources.ingest import load_corpus
from rag.service import RagService
from rag.core.settings import Settings, SettingsError

from tests.conftest import ROOT


# --------------------------------------------------------------------------- the server


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str = ""
    last_modified: str = ""
    location: str = ""  # for a redirect (status 3xx)
    delay: float = 0.0
    length: bool = True  # False: no Content-Length, the body ends when the connection closes


@dataclass(frozen=True)
class Hit:
    path: str
    status: int
    at: float  # time.monotonic() when the request arrived


class Site:
    """What the loopback server serves, and the requests it answered."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.resources: dict[str, Resource] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, **kw) -> str:
        self.resources[path] = Resource(body.encode("utf-8") if isinstance(body, str) else body, **kw)
        return self.url(path)

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def served(self, path: str, status: int | None = None) -> int:
        """How many requests for ``path`` were answered (with ``status``)."""
        return sum(1 for h in self.hits if h.path == path and (status is None or h.status == status))

    def downloads(self) -> list[str]:
        """Paths answered with a body (200), in order."""
        return [h.path for h in self.hits if h.status == 200]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        site = self.server.site
        arrived = time.monotonic()
        res = site.resources.get(self.path)
        if res is None:
            site.record(Hit(self.path, 404, arrived))
            self._send(404, b"<html><body>not found</body></html>", "text/html")
            return
        if res.delay:
            time.sleep(res.delay)
        not_modified = (res.etag and self.headers.get("If-None-Match") == res.etag) or (
            res.last_modified and not res.etag and self.headers.get("If-Modified-Since") == res.last_modified)
        status = 304 if not_modified else res.status
        site.record(Hit(self.path, status, arrived))
        headers = {"ETag": res.etag, "Last-Modified": res.last_modified, "Location": res.location}
        self._send(status, b"" if status == 304 else res.body, res.content_type, headers, res.length)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
              length: bool = True) -> None:
        try:
            self.send_response(status)
            for k, v in (headers or {}).items():
                if v:
                    self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Type", content_type)
                if length:
                    self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site


@pytest.fixture
def site():
    """A real HTTP server on a free loopback port, serving what the test puts in ``site.resources``."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = Site(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --------------------------------------------------------------------------- content


def article_html(title: str, paragraphs: list[str], published: str = "2024-04-02") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta property='article:published_time' content='{published}'></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>Copyright the Harbour Post</footer>"
            f"</body></html>")


BRIDGE = ["The Riverton harbour bridge will close for repairs from 6 May, the city's roads department "
          "announced on Tuesday.",
          "Engineers found corrosion in three of the bridge's steel cables during an inspection in March, "
          "and the repairs are expected to take eleven weeks.",
          "A free shuttle ferry will run every twenty minutes between the two quays while the bridge is closed, "
          "the department said."]
BRIDGE_V2 = ["The reopening of the Riverton harbour bridge has been postponed to 9 September, the roads "
             "department said on Friday.",
             "Engineers found that seven steel cables, not three, need to be replaced, and the new cables "
             "will be shipped from a foundry in Kessling.",
             "The shuttle ferry between the two quays will keep running every twenty minutes until the bridge "
             "reopens."]
LIBRARY = ["Valdoria's new central library opened on Saturday with 240,000 books and a rooftop reading garden.",
           "The building, designed by the architect Ilse Marquardt, cost 48 million euros and took three years "
           "to build.",
           "More than 9,000 visitors came on the first day, and the library will stay open until midnight on "
           "Fridays."]
OBSERVATORY = ["The Port Aldine observatory recorded a meteor shower of 1,400 meteors an hour on Wednesday night, "
               "the highest rate it has measured since it opened in 1962.",
               "Astronomers said the shower came from debris left by a comet that passed close to the sun "
               "in 1911.",
               "Volunteers counted the meteors from the observatory's dome and from two hills outside the town."]
ORCHARD = ["Apple growers in the Kessling valley expect a record harvest of 61,000 tonnes this autumn after a "
           "mild spring without frost.",
           "The growers' cooperative said it would hire 800 seasonal pickers and open a second cider press "
           "in October.",
           "Prices for dessert apples are expected to fall by about ten percent in the shops."]
CANAL = ["The Lumen canal reopened to barges on Monday after a lock gate that failed in January was replaced.",
         "The waterways agency said 140 barges had been held up during the closure, and that freight firms "
         "would be compensated.",
         "A second lock gate of the same age will be replaced next winter, when traffic is lower."]


def rss(title: str, items: list[dict], extra: str = "") -> str:
    parts = []
    for it in items:
        parts.append(
            "<item>"
            f"<title>{it['title']}</title><link>{it['link']}</link><guid>{it.get('guid', it['link'])}</guid>"
            f"<pubDate>{it.get('date', 'Tue, 02 Apr 2024 09:00:00 GMT')}</pubDate>"
            f"<description><![CDATA[{it.get('summary', 'A short summary.')}]]></description>"
            "</item>")
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}</title>"
            f"<link>http://example.invalid/</link><description>news</description>{extra}"
            f"{''.join(parts)}</channel></rss>")


def atom(title: str, entries: list[dict]) -> str:
    parts = []
    for e in entries:
        parts.append(
            f"<entry><title>{e['title']}</title><link href='{e['link']}'/><id>{e['link']}</id>"
            f"<updated>{e.get('updated', '2024-04-03T08:00:00Z')}</updated>"
            f"<published>{e.get('published', '2024-04-03T08:00:00Z')}</published>"
            f"<summary>{e.get('summary', 'A short summary.')}</summary></entry>")
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>{title}</title><id>urn:feed</id><updated>2024-04-03T08:00:00Z</updated>"
            f"{''.join(parts)}</feed>")


RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


# The loopback site is a private address the fetch policy refuses unless the settings allow it.
LOOPBACK = ("127.0.0.1/32",)


def feed_settings(tmp_path: Path, *feeds: str, **overrides) -> Settings:
    return Settings().replace(**{"corpus_dir": tmp_path / "corpus", "data_dir": tmp_path / "data",
                                 "feeds": tuple(feeds), "feed_timeout": 1.0, "feed_max_page_mb": 0.05,
                                 "feed_host_delay": 0.0, "feed_allowed_networks": LOOPBACK, **overrides})


def make_sync(tmp_path: Path, embeddings, *feeds: str, **overrides) -> tuple[FeedSync, RagService]:
    """A sync whose articles the service behind it indexes, and that service."""
    settings = feed_settings(tmp_path, *feeds, **overrides)
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    service = RagService(settings, embeddings=embeddings)
    return FeedSync(settings, reindex=service.reindex), service


def reasons(report) -> dict[str, str]:
    return {f.url: f.reason for f in report.failed}


def corpus_articles(settings: Settings) -> dict[str, object]:
    articles, skipped = load_corpus(settings.corpus_dir)
    assert not skipped, skipped
    return {a.url: a for a in articles}


def indexed_texts(service: RagService, query: str) -> str:
    return "\n".join(p.chunk.text for p in service.search(query, k=10))


# --------------------------------------------------------------------------- tests


@pytest.mark.integration
def test_rss_and_atom_articles_are_saved_indexed_and_answered(site, tmp_path, embeddings):
    bridge = site.put("/news/bridge-closure.html", article_html("Harbour bridge to close for repairs", BRIDGE))
    library = site.put("/news/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    meteor = site.put("/science/meteors", article_html("Record meteor shower over Port Aldine", OBSERVATORY))
    orchard = site.put("/science/apples", article_html("Kessling valley expects a record apple harvest", ORCHARD))
    rss_url = site.put("/rss.xml", rss("Harbour Post", [
        {"title": "Harbour bridge to close for repairs", "link": bridge},
        {"title": "Valdoria opens its new central library", "link": "/news/library.html"},  # relative link
    ]), content_type=RSS_TYPE, etag='"rss-1"')
    atom_url = site.put("/atom.xml", atom("Science Desk", [
        {"title": "Record meteor shower over Port Aldine", "link": meteor},
        {"title": "Kessling valley expects a record apple harvest", "link": orchard},
    ]), content_type=ATOM_TYPE, last_modified=formatdate(usegmt=True))
    sync, service = make_sync(tmp_path, embeddings, rss_url, atom_url)

    report = sync.sync()

    assert not report.failed and report.feeds == 2
    assert sorted(c.url for c in report.new) == sorted([bridge, library, meteor, orchard])
    assert report.index is not None and len(report.index.added) == 4
    # One Markdown file per article, at the path its URL gives, with front matter the loader reads.
    for change in report.new:
        assert change.path == article_path(change.url).as_posix()
        path = sync.settings.corpus_dir / change.path
        assert path.parent.name == f"127.0.0.1_{site.base.rsplit(':', 1)[1]}"
        assert path.read_text(encoding="utf-8").startswith("---\n")
    articles = corpus_articles(sync.settings)
    assert articles[bridge].title == "Harbour bridge to close for repairs"
    assert articles[bridge].source == "Harbour Post" and str(articles[bridge].published) == "2024-04-02"
    assert articles[meteor].source == "Science Desk" and str(articles[meteor].published) == "2024-04-03"
    assert "Copyright" not in articles[bridge].text and "eleven weeks" in articles[bridge].text
    assert f"feed: {rss_url}" in (sync.settings.corpus_dir / article_path(library)).read_text(encoding="utf-8")

    answer = service.ask("How long will the repairs of the harbour bridge take?")
    assert not answer.refused and "eleven weeks" in answer.text
    assert answer.citations[0].url == bridge and answer.citations[0].source == "Harbour Post"
    answer = service.ask("How many meteors an hour did the observatory record?")
    assert "1,400 meteors" in answer.text and answer.citations[0].url == meteor

    statuses = {s.url: s for s in sync.statuses()}
    assert statuses[rss_url].title == "Harbour Post" and statuses[rss_url].articles == 2
    assert statuses[atom_url].last_success and not statuses[atom_url].problem


@pytest.mark.integration
def test_each_failure_is_reported_with_its_reason_and_stops_nothing(site, tmp_path, embeddings):
    good = site.put("/a/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    slow = site.put("/a/slow.html", article_html("Slow page", ORCHARD), delay=2.5)
    missing = site.url("/a/gone.html")
    huge = site.put("/a/huge.html", article_html("Huge page", ["Filler words. " * 5000]))  # ~70 KB > 0.05 MB
    streamed = site.put("/a/streamed.html", article_html("Huge page", ["Filler words. " * 5000]), length=False)
    empty = site.put("/a/empty-with-summary.html", "<html><body><nav>Home</nav></body></html>")
    empty_short = site.put("/a/empty-short.html", "<html><body><nav>Home</nav></body></html>")
    long_summary = " ".join(CANAL * 2)
    feed = site.put("/feed.xml", rss("Mixed Wire", [
        {"title": "Slow page", "link": slow},
        {"title": "Gone", "link": missing},
        {"title": "Huge", "link": huge},
        {"title": "Huge, without a length", "link": streamed},
        {"title": "Lumen canal reopens to barges", "link": empty, "summary": f"<p>{long_summary}</p>"},
        {"title": "Teaser only", "link": empty_short, "summary": "Read more inside."},
        {"title": "Not on the web", "link": "file:///etc/passwd"},
        {"title": "Valdoria opens its new central library", "link": good},
    ]), content_type=RSS_TYPE)
    malformed = site.put("/broken.xml", "<?xml version='1.0'?><rss><channel><title>Bro", content_type=RSS_TYPE)
    not_a_feed = site.put("/page.html", article_html("Just a page", LIBRARY))
    feed_404 = site.url("/no-such-feed.xml")
    sync, service = make_sync(tmp_path, embeddings, malformed, feed_404, not_a_feed, feed)

    started = time.monotonic()
    report = sync.sync()

    assert time.monotonic() - started < 30
    why = reasons(report)
    assert why[slow] == "timed out after 1 s"
    assert why[missing] == "HTTP 404 Not Found"
    assert why[feed_404] == "HTTP 404 Not Found"
    assert why[huge] == why[streamed] == "page larger than 0.05 MB"
    assert why[malformed].startswith("not a valid RSS or Atom feed")
    assert why[not_a_feed].startswith("not a valid RSS or Atom feed")
    assert why[empty_short].startswith("no article text found on the page")
    [local] = [url for url, reason in why.items() if reason.startswith("the entry's link is not an http")]
    assert local.startswith("file:") and local.endswith("/etc/passwd")
    assert len(report.failed) == 9
    # The rest got through: the good page, and the page without text through its long feed summary.
    assert sorted(c.url for c in report.new) == sorted([good, empty])
    assert {a.url for a in corpus_articles(sync.settings).values()} == {good, empty}
    assert "140 barges" in service.ask("How many barges were held up by the canal closure?").text
    assert "240,000 books" in indexed_texts(service, "central library books")

    statuses = {s.url: s for s in sync.statuses()}
    assert statuses[malformed].last_error.startswith("not a valid RSS or Atom feed")
    assert statuses[feed_404].last_error == "HTTP 404 Not Found" and not statuses[feed_404].last_success
    assert statuses[feed].last_success and not statuses[feed].last_error
    assert {f.url: f.reason for f in statuses[feed].failed_articles}[missing] == "HTTP 404 Not Found"
    assert statuses[feed].problem.startswith("article ")  # its failing articles make it a feed with errors
    state = json.loads((sync.settings.data_dir / "feeds.json").read_text(encoding="utf-8"))
    assert state["feeds"][malformed]["last_error"].startswith("not a valid RSS or Atom feed")


@pytest.mark.integration
def test_conditional_requests_updates_and_nothing_downloaded_twice(site, tmp_path, embeddings):
    etag_page = site.put("/n/bridge.html", article_html("Harbour bridge to close for repairs", BRIDGE),
                         etag='"bridge-1"')
    lm_page = site.put("/n/library.html", article_html("Valdoria opens its new central library", LIBRARY),
                       last_modified="Tue, 02 Apr 2024 10:00:00 GMT")
    meteor = site.put("/n/meteors.html", article_html("Record meteor shower", OBSERVATORY), etag='"m"')
    canal = site.put("/n/canal.html", article_html("Lumen canal reopens to barges", CANAL), etag='"c"')
    items = [{"title": "Harbour bridge", "link": etag_page}, {"title": "Library", "link": lm_page}]
    feed = site.put("/rss.xml", rss("Harbour Post", items), content_type=RSS_TYPE, etag='"feed-1"')
    entries = [{"title": "Meteors", "link": meteor}, {"title": "Canal", "link": canal}]
    atom_feed = site.put("/atom.xml", atom("Science Desk", entries), content_type=ATOM_TYPE,
                         last_modified="Wed, 03 Apr 2024 08:00:00 GMT")
    sync, service = make_sync(tmp_path, embeddings, feed, atom_feed)
    first = sync.sync()
    assert len(first.new) == 4 and not first.failed
    bridge_file = sync.settings.corpus_dir / article_path(etag_page)
    version_1 = bridge_file.read_text(encoding="utf-8")

    # Nothing changed: the feeds answer 304 (ETag, Last-Modified) and no article is requested.
    site.hits.clear()
    second = sync.sync()
    assert site.served("/rss.xml", 304) == 1 and site.served("/atom.xml", 304) == 1
    assert site.downloads() == [] and len(site.hits) == 2
    assert not second.new and not second.updated and not second.failed and second.index is None
    assert sorted(second.unchanged) == sorted([feed, atom_feed])

    # A new version of one article (new ETag) and a feed that changed with it: the changed page is
    # downloaded, the unchanged one answers 304, and the index answers from the new text only.
    # In the Atom feed, an entry whose `updated` date is the same is not requested at all; one
    # whose date changed is re-checked (304 here); a new one is downloaded.
    site.put("/n/bridge.html", article_html("Harbour bridge reopening postponed", BRIDGE_V2), etag='"bridge-2"')
    site.put("/rss.xml", rss("Harbour Post", items, extra="<lastBuildDate>Fri, 05 Apr 2024 09:00:00 GMT"
                                                          "</lastBuildDate>"), content_type=RSS_TYPE, etag='"feed-2"')
    orchard = site.put("/n/orchard.html", article_html("Kessling valley expects a record apple harvest", ORCHARD))
    site.put("/atom.xml", atom("Science Desk", [entries[0], {**entries[1], "updated": "2024-04-05T10:00:00Z"},
                                                {"title": "Orchard", "link": orchard}]),
             content_type=ATOM_TYPE, last_modified="Fri, 05 Apr 2024 10:00:00 GMT")
    site.hits.clear()
    third = sync.sync()
    assert [c.url for c in third.updated] == [etag_page] and [c.url for c in third.new] == [orchard]
    assert not third.failed
    assert site.served("/n/bridge.html", 200) == 1 and site.served("/n/library.html", 304) == 1
    assert site.served("/n/meteors.html") == 0 and site.served("/n/canal.html", 304) == 1
    assert site.downloads() == ["/rss.xml", "/n/bridge.html", "/atom.xml", "/n/orchard.html"]
    assert {lm_page, meteor, canal} <= set(third.unchanged)
    assert third.index is not None and len(third.index.updated) == 1 and len(third.index.added) == 1
    assert bridge_file.read_text(encoding="utf-8") != version_1  # the same file, overwritten
    assert len(list(bridge_file.parent.iterdir())) == 5 == service.stats().articles

    answer = service.ask("When will the harbour bridge reopen?")
    assert "9 September" in answer.text and answer.citations[0].url == etag_page
    texts = indexed_texts(service, "harbour bridge repairs corrosion three cables eleven weeks")
    assert "seven steel cables" in texts
    assert "eleven weeks" not in texts and "corrosion in three" not in texts  # the old version is gone


@pytest.mark.integration
def test_a_page_that_fails_keeps_its_previous_version_and_is_retried(site, tmp_path, embeddings):
    page = site.put("/n/bridge.html", article_html("Harbour bridge to close for repairs", BRIDGE), etag='"b1"')
    items = [{"title": "Harbour bridge", "link": page}]
    feed = site.put("/rss.xml", rss("Harbour Post", items), content_type=RSS_TYPE, etag='"f1"')
    sync, service = make_sync(tmp_path, embeddings, feed)
    assert len(sync.sync().new) == 1
    path = sync.settings.corpus_dir / article_path(page)
    before = path.read_bytes()

    # The feed changes but the page now fails: the article file and the index keep version 1.
    site.put("/n/bridge.html", b"oops", status=500)
    site.put("/rss.xml", rss("Harbour Post", items, extra="<ttl>5</ttl>"), content_type=RSS_TYPE, etag='"f2"')
    failed = sync.sync()
    assert reasons(failed) == {page: "HTTP 500 Internal Server Error"}
    assert path.read_bytes() == before and failed.index is None
    assert "eleven weeks" in service.ask("How long will the bridge repairs take?").text

    # The page is back with a new version; the feed itself is unchanged, but the failed entry is retried.
    site.put("/n/bridge.html", article_html("Harbour bridge reopening postponed", BRIDGE_V2), etag='"b2"')
    site.hits.clear()
    retried = sync.sync()
    assert site.served("/rss.xml", 200) == 1  # fetched in full (no validators) because an entry failed
    assert [c.url for c in retried.updated] == [page] and not retried.failed
    assert "9 September" in service.ask("When will the harbour bridge reopen?").text
    assert not sync.statuses()[0].problem


@pytest.mark.integration
def test_requests_to_the_same_host_are_spaced_by_the_host_delay(site, tmp_path, embeddings):
    page = site.put("/n/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    feed = site.put("/rss.xml", rss("Harbour Post", [{"title": "Library", "link": page}]), content_type=RSS_TYPE)
    sync, _ = make_sync(tmp_path, embeddings, feed, feed_host_delay=1.0)

    report = sync.sync()

    assert len(report.new) == 1
    [feed_hit] = [h for h in site.hits if h.path == "/rss.xml"]
    [page_hit] = [h for h in site.hits if h.path == "/n/library.html"]
    assert 0.9 <= page_hit.at - feed_hit.at < 10


def test_subscriptions_are_kept_in_the_state_file(site, tmp_path):
    settings = feed_settings(tmp_path, "https://news.example/rss")
    sync = FeedSync(settings)
    added = sync.add(" https://other.example/atom.xml#top ")
    assert added == "https://other.example/atom.xml"
    assert sync.urls() == ["https://news.example/rss", added]
    state = json.loads((settings.data_dir / "feeds.json").read_text(encoding="utf-8"))
    assert state["feeds"][added]["added"]
    assert FeedSync(settings).urls() == sync.urls()  # read back by a new instance (another process)

    with pytest.raises(FeedError, match="already subscribed"):
        sync.add(added)
    with pytest.raises(FeedError, match="already subscribed .*FEEDS"):
        sync.add("https://news.example/rss")
    with pytest.raises(FeedError, match="not an http or https URL"):
        sync.add("file:///etc/passwd")
    with pytest.raises(FeedError, match="comes from FEEDS in the settings"):
        sync.remove("https://news.example/rss")
    sync.remove(added)
    with pytest.raises(FeedError, match="not subscribed"):
        sync.remove(added)
    assert sync.urls() == ["https://news.example/rss"]
    assert not list(settings.data_dir.glob(".feeds.json.*"))  # no temporary files left behind

    (settings.data_dir / "feeds.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        sync.statuses()


def test_one_sync_at_a_time(tmp_path):
    sync = FeedSync(feed_settings(tmp_path))
    with feeds_lock(sync.settings.data_dir / ".feeds.lock", blocking=False):
        with pytest.raises(FeedsBusy, match="already running"):
            sync.sync()


def test_feed_settings_are_read_and_checked():
    s = Settings.from_env({"FEEDS": "https://a.example/rss, https://b.example/atom.xml https://a.example/rss",
                           "FEED_INTERVAL_MINUTES": "0", "FEED_TIMEOUT": "7.5", "FEED_MAX_PAGE_MB": "2",
                           "FEED_HOST_DELAY": "0", "FEED_MAX_ENTRIES": "10"})
    assert s.feeds == ("https://a.example/rss", "https://b.example/atom.xml")
    assert (s.feed_interval_minutes, s.feed_timeout, s.feed_max_page_mb, s.feed_host_delay,
            s.feed_max_entries) == (0, 7.5, 2.0, 0.0, 10)
    d = Settings.from_env({})
    assert (d.feeds, d.feed_interval_minutes, d.feed_timeout, d.feed_max_page_mb, d.feed_host_delay,
            d.feed_max_entries) == ((), 15, 20.0, 5.0, 2.0, 50)
    for env, message in (({"FEEDS": "file:///etc/passwd"}, "FEEDS must be http or https URLs"),
                         ({"FEED_TIMEOUT": "0"}, "FEED_TIMEOUT must be positive"),
                         ({"FEED_HOST_DELAY": "-1"}, "FEED_HOST_DELAY must be zero or more"),
                         ({"FEED_MAX_ENTRIES": "0"}, "FEED_MAX_ENTRIES must be at least 1")):
        with pytest.raises(SettingsError, match=message):
            Settings.from_env(env)


@pytest.mark.integration
@pytest.mark.slow
def test_the_command_line_adds_lists_syncs_and_removes(site, tmp_path):
    page = site.put("/n/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    feed = site.put("/rss.xml", rss("Harbour Post", [{"title": "Library", "link": page}]), content_type=RSS_TYPE)
    gone = site.url("/gone.xml")
    env = dict(os.environ, CORPUS_DIR=str(tmp_path / "corpus"), DATA_DIR=str(tmp_path / "data"),
               FEED_HOST_DELAY="0", FEED_TIMEOUT="5", FEEDS="", FEED_ALLOWED_NETWORKS="127.0.0.1",
               PYTHONPATH=str(ROOT))
    (tmp_path / "corpus").mkdir()

    def rag(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag", "feeds", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    assert rag("add", feed).stdout.strip() == f"subscribed to {feed}"
    bad = rag("add", "ftp://example.org/feed")
    assert bad.returncode == 1 and bad.stderr.strip() == "error: not an http or https URL: 'ftp://example.org/feed'"
    assert rag("add", gone).returncode == 0

    synced = rag("sync", "--json")
    assert synced.returncode == 2, synced.stderr  # one feed failed
    report = json.loads(synced.stdout)
    assert [c["url"] for c in report["new"]] == [page]
    assert report["failed"] == [{"url": gone, "reason": "HTTP 404 Not Found"}]
    assert report["index"].startswith("indexed 1 article, 1 passage in ")  # the first index of this folder

    listed = json.loads(rag("list", "--json").stdout)
    assert [(f["url"], f["articles"], f["last_error"]) for f in listed] == [
        (feed, 1, ""), (gone, 0, "HTTP 404 Not Found")]
    assert rag("remove", gone).returncode == 0
    again = rag("sync")
    assert again.returncode == 0 and again.stdout.startswith("1 feed checked: 0 new, 0 updated, 1 unchanged")


# --------------------------------------------------------------------------- the address policy


@pytest.mark.integration
def test_a_feed_on_a_private_address_is_refused_unless_the_settings_allow_it(site, tmp_path, embeddings):
    page = site.put("/n/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    feed = site.put("/rss.xml", rss("Harbour Post", [{"title": "Library", "link": page}]), content_type=RSS_TYPE)
    sync, _ = make_sync(tmp_path, embeddings, feed, feed_allowed_networks=())

    report = sync.sync()

    assert reasons(report) == {feed: "refused: 127.0.0.1 is a loopback address; to fetch from it, add it to "
                                     "FEED_ALLOWED_NETWORKS in the settings"}
    assert site.hits == []  # refused before any request was sent
    assert {s.url: s.last_error for s in sync.statuses()}[feed].startswith("refused: 127.0.0.1")
    allowed, _ = make_sync(tmp_path, embeddings, feed, feed_allowed_networks=("127.0.0.0/8",))
    assert [c.url for c in allowed.sync().new] == [page]


@pytest.mark.integration
def test_article_links_and_redirects_to_private_addresses_are_refused(site, tmp_path, embeddings):
    """The feed's own server is allowed; links and redirects to other non-public addresses are not."""
    port = site.base.rsplit(":", 1)[1]
    good = site.put("/n/library.html", article_html("Valdoria opens its new central library", LIBRARY))
    targets = {
        "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is a link-local address",
        "http://10.0.0.7/admin": "10.0.0.7 is a private address",
        "http://192.168.1.1/": "192.168.1.1 is a private address",
        f"http://[::1]:{port}/n/library.html": "::1 is a loopback address",
        "http://0.0.0.0/": "0.0.0.0 is a reserved address",
        "http://224.0.0.1/": "224.0.0.1 is a reserved address",
        "http://100.64.0.1/": "100.64.0.1 is a reserved address",
    }
    items = [{"title": f"Link {i}", "link": url} for i, url in enumerate(targets)]
    hops = {}
    for i, url in enumerate(targets):  # the same targets behind a redirect from the allowed server
        hops[site.put(f"/r/{i}", b"", status=302, location=url)] = targets[url]
    items += [{"title": f"Redirect {i}", "link": url} for i, url in enumerate(hops)]
    items.append({"title": "Valdoria opens its new central library", "link": good})
    feed = site.put("/rss.xml", rss("Mixed Wire", items), content_type=RSS_TYPE)
    sync, _ = make_sync(tmp_path, embeddings, feed)

    report = sync.sync()

    why = reasons(report)
    for url, expected in {**targets, **hops}.items():
        assert why[url].startswith("refused: " + expected), (url, why[url])
        assert why[url].endswith("add it to FEED_ALLOWED_NETWORKS in the settings")
    assert len(report.failed) == 2 * len(targets)
    assert [c.url for c in report.new] == [good]
    assert site.served("/n/library.html") == 1  # only the allowed link reached the server
    assert sorted(h.path for h in site.hits if h.path.startswith("/r/")) == sorted(f"/r/{i}" for i in range(len(targets)))


def test_the_allowed_networks_setting_is_read_and_checked():
    s = Settings.from_env({"FEED_ALLOWED_NETWORKS": "10.20.0.0/16, 127.0.0.1 fd00::/8"})
    assert s.feed_allowed_networks == ("10.20.0.0/16", "127.0.0.1/32", "fd00::/8")
    assert Settings.from_env({}).feed_allowed_networks == ()
    with pytest.raises(SettingsError, match="FEED_ALLOWED_NETWORKS must be IP networks"):
        Settings.from_env({"FEED_ALLOWED_NETWORKS": "intranet"})
