"""RSS/Atom feed subscriptions: new and updated articles are saved into the corpus folder, then indexed.

The corpus folder stays the single source of truth: every article a feed brings is written
as a Markdown file with front matter under ``<CORPUS_DIR>/feeds/<host>/<slug>-<hash>.md``
(the path depends only on the article's URL, so a new version of an article replaces its
file, and the incremental reindex replaces its passages).

Feeds come from two places: ``FEEDS`` in the settings (always included) and feeds added at
run time (``/feeds add``, ``python -m rag feeds add``), kept in ``DATA_DIR/feeds.json``
together with what each sync learnt: ETag and Last-Modified of feeds and pages, the last
success and the last error of each feed, and the entries seen.

A sync fetches each feed with a conditional request (304: nothing new), a timeout, a size
cap and a delay between two requests to the same host. When a feed changed, its entries
that are new, that failed before, whose ``updated`` date changed, or that have no
``updated`` date are fetched (again with a conditional request); an entry whose
``updated`` date is unchanged is not. The page's text is extracted with trafilatura; when
that finds nothing, a substantial summary or content in the feed entry is used instead.
Every failure (timeout, HTTP error, oversized page, malformed feed, no text) is recorded
with a short reason and stops nothing else; a page that fails keeps the previous version of
its article. If any file was written, the ``reindex`` the sync was given updates the index
once, incrementally.

The parts, each in its own module here (import them from this package):

- ``errors``: the feed errors;
- ``urls``: feed URLs as stored (``check_url``, ``parse_feed_list``);
- ``network``: which addresses may be fetched from, and the HTTP client that holds to it;
- ``fetch``: one GET with conditional headers, a timeout, a size cap and a delay per host;
- ``extract``: the article out of a page, or out of the feed entry;
- ``render``: the article's file in the corpus folder (its path, its Markdown);
- ``state``: ``feeds.json`` and the file locks;
- ``report``: what a sync did and how each feed stands, and their text for the command line;
- ``sync``: ``FeedSync``, which ties them together.
"""

from __future__ import annotations

from .errors import FeedError, FeedsBusy, FetchError
from .extract import extract_article
from .fetch import Fetcher, Page
from .network import USER_AGENT, AddressPolicy, outbound_client
from .render import FEEDS_FOLDER, article_path, render_markdown
from .report import Change, Failure, FeedStatus, SyncReport, format_statuses, format_sync_report
from .state import STATE_FILE, FeedState
from .sync import FeedSync
from .urls import check_url, parse_feed_list

__all__ = [
    "FEEDS_FOLDER", "STATE_FILE", "USER_AGENT", "AddressPolicy", "Change", "Failure", "FeedError", "FeedState",
    "FeedStatus", "FeedSync", "FeedsBusy", "FetchError", "Fetcher", "Page", "SyncReport", "article_path",
    "check_url", "extract_article", "format_statuses", "format_sync_report", "outbound_client",
    "parse_feed_list", "render_markdown",
]
