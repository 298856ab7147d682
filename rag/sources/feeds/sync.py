"""FeedSync: the subscriptions, and a sync that fetches every feed, writes its new and updated articles into
the corpus folder, then has them indexed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ...core.errors import ConfigError, RagError
from ...core.fsutil import atomic_write
from ...core.settings import Settings
from ...core.types import IndexReport, Progress, no_progress
from .errors import FeedError, FetchError
from .extract import entry_article
from .fetch import Fetcher, short_reason
from .network import outbound_client
from .render import article_path, render_markdown
from .report import Change, Failure, FeedStatus, SyncReport
from .state import FeedState, feeds_lock, now_stamp
from .urls import check_url

log = logging.getLogger(__name__)

MAX_ENTRIES_KEPT = 500  # entries remembered per feed (those still in the feed are always kept)


class FeedSync:
    """Subscriptions (``add``, ``remove``, ``statuses``) and ``sync``, which fetches, writes and reindexes."""

    def __init__(self, settings: Settings, reindex: Callable[..., IndexReport] | None = None) -> None:
        """``reindex`` updates the index from the corpus folder, called as ``reindex(progress=...)`` after a
        sync that wrote articles (or one left pending); without it a sync only writes the files."""
        self.settings = settings
        self.reindex = reindex
        self.state = FeedState(settings.data_dir)
        self.from_settings = tuple(dict.fromkeys(check_url(u) for u in settings.feeds))

    # Subscriptions

    def urls(self) -> list[str]:
        """Every feed to sync: the settings' FEEDS first, then those added, without duplicates."""
        added = [u for u, rec in self.state.read()["feeds"].items() if rec.get("added")]
        return list(dict.fromkeys([*self.from_settings, *added]))

    def add(self, url: str) -> str:
        """Subscribe to a feed; returns its URL as stored. FeedError if it is invalid or already there."""
        url = check_url(url)
        if url in self.from_settings:
            raise FeedError(f"{url} is already subscribed (it is in FEEDS in the settings)")
        with self.state.edit() as data:
            rec = data["feeds"].setdefault(url, {})
            if rec.get("added"):
                raise FeedError(f"{url} is already subscribed")
            rec["added"] = now_stamp()
        log.info("subscribed to feed %s", url)
        return url

    def remove(self, url: str) -> str:
        """Unsubscribe from a feed added at run time; FeedError for an unknown feed or one from FEEDS."""
        url = check_url(url)
        if url in self.from_settings:
            raise FeedError(f"{url} comes from FEEDS in the settings (.env); remove it there and restart")
        with self.state.edit() as data:
            if not data["feeds"].get(url, {}).get("added"):
                raise FeedError(f"not subscribed to {url}")
            del data["feeds"][url]
        log.info("unsubscribed from feed %s", url)
        return url

    def statuses(self) -> list[FeedStatus]:
        feeds = self.state.read()["feeds"]
        out = []
        for url in self.urls():
            rec = feeds.get(url, {})
            entries = rec.get("entries", {})
            failed = tuple(Failure(e.get("link", key), e["error"]) for key, e in entries.items() if e.get("error"))
            out.append(FeedStatus(
                url=url, from_settings=url in self.from_settings, title=rec.get("title", ""),
                last_attempt=rec.get("last_attempt", ""), last_success=rec.get("last_success", ""),
                last_error=rec.get("last_error", ""),
                articles=sum(1 for e in entries.values() if e.get("path")), failed_articles=failed,
            ))
        return out

    # Syncing

    def _client(self) -> httpx.Client:
        return outbound_client(self.settings.feed_timeout, self.settings.feed_allowed_networks)

    def sync(self, progress: Progress = no_progress) -> SyncReport:
        """Fetch every feed, write new and updated articles into the corpus, then reindex once if any was."""
        started = time.perf_counter()
        s = self.settings
        report = SyncReport()
        with feeds_lock(s.data_dir / ".feeds.lock", blocking=False):
            urls = self.urls()
            report.feeds = len(urls)
            if urls:
                with self._client() as client:
                    fetcher = Fetcher(client, s.feed_timeout, s.feed_max_page_mb, s.feed_host_delay)
                    for i, url in enumerate(urls):
                        progress("feeds", i, len(urls))
                        try:
                            self._sync_feed(url, fetcher, report)
                        except ConfigError:
                            raise  # the state file is unreadable: nothing else can be recorded either
                        except Exception as e:  # noqa: BLE001 - a bug or an odd feed must not stop the others
                            log.exception("unexpected error while syncing feed %s", url)
                            reason = f"unexpected error ({type(e).__name__})"
                            report.failed.append(Failure(url, reason))
                            self._save(url, {"last_attempt": now_stamp(), "last_error": reason})
                    progress("feeds", len(urls), len(urls))
            if report.written:
                with self.state.edit() as data:
                    data["reindex_pending"] = True
            if self.reindex is not None and self.state.read().get("reindex_pending"):
                self._update_index(report, progress)
        report.seconds = time.perf_counter() - started
        log.info("feed sync: %s", report.summary())
        return report

    def _update_index(self, report: SyncReport, progress: Progress) -> None:
        try:
            report.index = self.reindex(progress=progress)
        except RagError as e:
            # The files are in the corpus folder; the next sync (or any reindex) indexes them.
            report.index_error = str(e)
            log.warning("feed articles written but not indexed yet: %s", e)
            return
        with self.state.edit() as data:
            data["reindex_pending"] = False

    def _save(self, url: str, fields: dict[str, Any]) -> None:
        """Merge a sync's findings into a feed's record, unless it was removed meanwhile."""
        with self.state.edit() as data:
            rec = data["feeds"].get(url)
            if rec is None:
                if url not in self.from_settings:
                    return
                rec = data["feeds"][url] = {}
            rec.update(fields)

    def _sync_feed(self, url: str, fetcher: Fetcher, report: SyncReport) -> None:
        import feedparser

        rec = self.state.read()["feeds"].get(url, {})
        entries: dict[str, dict] = dict(rec.get("entries", {}))
        retry = any(e.get("error") for e in entries.values())
        attempt = now_stamp()
        try:
            # With entries to retry the feed is fetched in full (they are in it, not in a 304).
            page = fetcher.get(url, "" if retry else rec.get("etag", ""),
                               "" if retry else rec.get("last_modified", ""))
        except FetchError as e:
            log.warning("feed %s failed: %s", url, e.reason)
            report.failed.append(Failure(url, e.reason))
            self._save(url, {"last_attempt": attempt, "last_error": e.reason})
            return
        if page is None:
            report.unchanged.append(url)
            self._save(url, {"last_attempt": attempt, "last_success": attempt, "last_error": ""})
            return
        changed = page.hash != rec.get("feed_hash")
        if not changed and not retry:
            report.unchanged.append(url)
            self._save(url, {"last_attempt": attempt, "last_success": attempt, "last_error": "",
                             "etag": page.etag, "last_modified": page.last_modified})
            return
        parsed = feedparser.parse(page.body, response_headers={"content-location": page.url,
                                                                "content-type": page.content_type})
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            problem = parsed.get("bozo_exception")
            reason = "not a valid RSS or Atom feed" + (f" ({short_reason(problem, 80)})" if problem else "")
            log.warning("feed %s failed: %s", url, reason)
            report.failed.append(Failure(url, reason))
            self._save(url, {"last_attempt": attempt, "last_error": reason})
            return
        feed_title = " ".join((parsed.feed.get("title") or "").split())
        source = feed_title or (urlsplit(page.url).hostname or "")
        listed: set[str] = set()
        failed = False
        for entry in parsed.entries[: self.settings.feed_max_entries]:
            key, outcome = self._sync_entry(entry, page.url, url, source, entries, changed, fetcher, report)
            if key:
                listed.add(key)
            failed = failed or outcome == "failed"
        # Forget errors of entries that left the feed, and the oldest entries beyond the cap.
        entries = {k: e for k, e in entries.items() if k in listed or not e.get("error")}
        if len(entries) > MAX_ENTRIES_KEPT:
            keep = sorted(entries, key=lambda k: (k in listed, entries[k].get("seen", "")), reverse=True)
            entries = {k: entries[k] for k in keep[:MAX_ENTRIES_KEPT]}
        self._save(url, {
            "title": feed_title, "last_attempt": attempt, "last_success": attempt, "last_error": "",
            # Validators are kept only when every entry was handled, so failed ones are retried.
            "etag": "" if failed else page.etag, "last_modified": "" if failed else page.last_modified,
            "feed_hash": page.hash, "entries": entries,
        })

    def _sync_entry(self, entry: dict, base: str, feed_url: str, source: str, entries: dict[str, dict],
                    feed_changed: bool, fetcher: Fetcher, report: SyncReport) -> tuple[str, str]:
        """Bring one entry's article up to date; returns its key and "new", "updated", "unchanged" or "failed"."""
        raw_link = entry.get("link") or ""
        key = entry.get("id") or raw_link
        try:
            if not raw_link:
                raise FetchError("the feed entry has no link")
            try:
                link = check_url(urljoin(base, raw_link))
            except FeedError:
                raise FetchError(f"the entry's link is not an http or https URL: {raw_link[:100]}") from None
        except FetchError as e:
            if not key:
                report.failed.append(Failure(feed_url, f"an entry without id or link: {e.reason}"))
                return "", "failed"
            log.warning("an entry of feed %s failed: %s", feed_url, e.reason)
            report.failed.append(Failure(raw_link or feed_url, e.reason))
            entries[key] = {**entries.get(key, {}), "link": raw_link, "error": e.reason, "seen": now_stamp()}
            return key, "failed"
        key = key or link
        known = entries.get(key, {})
        rel = article_path(link)
        path = self.settings.corpus_dir / rel
        updated = dict.get(entry, "updated") or ""  # dict.get: not feedparser's fallback to `published`
        exists = path.is_file() and known.get("path") == rel.as_posix()
        same_date = bool(updated) and updated == known.get("updated")
        if exists and not known.get("error") and (not feed_changed or same_date):
            report.unchanged.append(link)
            entries[key] = {**known, "seen": now_stamp()}
            return key, "unchanged"
        record = {**known, "link": link, "seen": now_stamp()}
        try:
            page = fetcher.get(link, known.get("etag", "") if exists else "",
                               known.get("last_modified", "") if exists else "")
            if page is None or (exists and page.hash == known.get("page_hash")):
                report.unchanged.append(link)
                entries[key] = {**record, "updated": updated, "error": ""}
                return key, "unchanged"
            article = entry_article(entry, page)
        except FetchError as e:
            # The previous version of the article (if any) stays as it is.
            log.warning("article %s (feed %s) failed: %s", link, feed_url, e.reason)
            report.failed.append(Failure(link, e.reason))
            entries[key] = {**record, "error": e.reason}
            return key, "failed"
        meta = {"title": article.title, "source": source, "date": article.published, "url": link,
                "feed": feed_url, "authors": list(article.authors)}
        data = render_markdown(meta, article.text)
        before = path.read_bytes() if path.is_file() else None
        entries[key] = {**record, "updated": updated, "error": "", "path": rel.as_posix(),
                        "etag": page.etag, "last_modified": page.last_modified, "page_hash": page.hash}
        if before == data:
            report.unchanged.append(link)
            return key, "unchanged"
        atomic_write(path, data)
        change = Change(link, article.title, rel.as_posix())
        (report.updated if before is not None else report.new).append(change)
        log.info("%s article %s -> %s", "updated" if before is not None else "new", link, rel)
        return key, "updated" if before is not None else "new"
