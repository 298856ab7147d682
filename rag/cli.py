"""`python -m rag`: index a corpus, ask questions, show statistics, chat in the terminal."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .core.errors import RagError
from .core.links import defang
from .core.settings import Settings, SettingsError, load_dotenv_once
from .core.types import Answer, Filters, IndexReport, human_date

if TYPE_CHECKING:
    from .answer.timelines import Timeline
    from .sources.feeds import FeedSync

log = logging.getLogger(__name__)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from None


def _day(d: date | None) -> str:
    """A day as every reply writes it ("2 Mar 2024"), or "-"."""
    return human_date(d) if d else "-"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    p.add_argument("--data-dir", type=Path, help="index folder (default: DATA_DIR or ./data)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    # The same options after the subcommand (`index --corpus c --data-dir d`); SUPPRESS keeps a
    # value given before the subcommand when none is given after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="index folder (default: DATA_DIR or ./data)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log debug details")
    sub = p.add_subparsers(dest="command", required=True)

    ix = sub.add_parser("index", parents=[common], help="index (or reindex) a corpus folder")
    ix.add_argument("--corpus", type=Path, help="corpus folder (default: CORPUS_DIR or ./corpus)")
    ix.add_argument("--full", action="store_true", help="re-embed everything, e.g. after changing settings")

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--as-of", type=_date, help="answer as of this date: later articles are hidden")
        sp.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
        sp.add_argument("--since", type=_date, help="only articles published on or after this date")
        sp.add_argument("--until", type=_date, help="only articles published on or before this date")

    ask = sub.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question")
    filters(ask)
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    tl = sub.add_parser("timeline", parents=[common],
                        help="a topic's events, one cited line per article, oldest first")
    tl.add_argument("topic")
    filters(tl)
    tl.add_argument("--json", action="store_true", help="print the timeline as JSON")

    sub.add_parser("stats", parents=[common], help="what is indexed")

    fd = sub.add_parser("feeds", parents=[common],
                        help="RSS/Atom feeds whose new articles are saved into the corpus and indexed",
                        epilog="`feeds sync` exits with 2 when a feed or an article failed (each is listed).")
    fsub = fd.add_subparsers(dest="feeds_command", required=True)
    fs = fsub.add_parser("sync", parents=[common],
                         help="fetch every feed, save new and updated articles, then reindex")
    fs.add_argument("--json", action="store_true", help="print the report as JSON")
    fl = fsub.add_parser("list", parents=[common], help="the feeds, with their last success and last error")
    fl.add_argument("--json", action="store_true", help="print the feeds as JSON")
    fsub.add_parser("add", parents=[common], help="subscribe to a feed").add_argument("url")
    fsub.add_parser("remove", parents=[common],
                    help="unsubscribe from a feed added with `feeds add`").add_argument("url")

    chat = sub.add_parser("chat", parents=[common], help="ask questions interactively")
    filters(chat)
    return p


def refusal_hint(answer: Answer, dates_given: bool, chat: bool = False) -> str:
    """What to try after a refusal, in the terminal's own commands (the chat's own words); dates only when
    some narrowed the search (``dates_given``: --since/--until; or the question's own "this week")."""
    if not answer.refused or answer.citations:  # a refusal naming a candidate has said what there is
        return ""
    hint = ("Ask it another way, or name the subject: its people, places or organisations" if chat else
            'Try `python -m rag timeline "SUBJECT"` with the subject\'s name to see what the articles do say')
    phrase = answer.window.split(":", 1)[0] if answer.window else ""
    if dates_given:
        return hint + (", or start the chat with a wider --since and --until." if chat
                       else ", or ask again with a wider --since and --until.")
    return hint + (f", or ask without “{phrase}”." if phrase else ".")


def format_answer(answer: Answer, hint: str = "") -> str:
    """Plain-text rendering of an answer and its sources (``hint``: a refusal's, after its text); only the
    cited articles' URLs stay links."""
    lines = [answer.text, hint] if hint else [answer.text]
    if answer.notice:
        lines += ["", f"({answer.notice})"]
    if answer.currency():
        lines += ["", f"({answer.currency()})"]
    if answer.citations:
        lines += ["", "Sources:"]
        by_n: dict[int, list] = {}
        for c in answer.citations:  # one source per number, each of its quoted sentences under it
            by_n.setdefault(c.n, []).append(c)
        for n, quoted in by_n.items():
            c = quoted[0]
            meta = ", ".join(x for x in (c.source, human_date(c.published) if c.published else "undated") if x)
            lines.append(f"[{n}] {c.title} ({meta})" + (f" {c.url}" if c.url else ""))
            if c.outlets:
                lines.append(f"    also in: {', '.join(c.outlets)}")
            for q in quoted:
                lines.append(f"    \u201c{' '.join(q.quote.split())}\u201d")
    return defang("\n".join(lines), (c.url for c in answer.citations))


def format_timeline(timeline: Timeline) -> str:
    """Plain-text rendering of a timeline: its dated lines, then its sources (the only links)."""
    lines = [timeline.text]
    if timeline.citations:
        lines += ["", "Sources:"]
        for c in timeline.citations:
            meta = ", ".join(x for x in (c.source, human_date(c.published) if c.published else "undated") if x)
            lines.append(f"[{c.n}] {c.title} ({meta})" + (f" {c.url}" if c.url else ""))
    return defang("\n".join(lines), (c.url for c in timeline.citations))


class TerminalProgress:
    """Progress on one rewritten line on a terminal; elsewhere a line per tenth, or every 30 s."""

    def __init__(self, stream=None) -> None:
        # Standard error as it is when the progress starts (not when this module was imported: a caller may
        # have replaced it since, as a test's capture does).
        stream = sys.stderr if stream is None else stream
        self._stream = stream
        self._tty = stream.isatty()
        self._last: tuple[str, int] = ("", -1)
        self._last_time = 0.0
        self._started: dict[str, tuple[float, int]] = {}  # stage -> (when and at what count it was first seen)

    def _eta(self, stage: str, done: int, total: int, now: float) -> str:
        """", about 3 min left" once a stage has run long enough to tell (its rate so far)."""
        since, first = self._started.setdefault(stage, (now, done))
        elapsed, progressed = now - since, done - first
        if done >= total or progressed <= 0 or elapsed < 5:
            return ""
        left = elapsed / progressed * (total - done)
        return f", about {left / 60:.0f} min left" if left >= 90 else f", about {left:.0f} s left"

    def __call__(self, stage: str, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        now = time.monotonic()
        eta = self._eta(stage, done, total, now)
        if self._tty:
            end = "\n" if done >= total else ""
            self._stream.write(f"\r{stage}: {done}/{total} ({pct}%{eta})".ljust(60) + end)
            self._stream.flush()
            return
        if (stage, pct // 10) != self._last or now - self._last_time >= 30:
            self._last, self._last_time = (stage, pct // 10), now
            self._stream.write(f"{stage}: {done}/{total} ({pct}%{eta})\n")
            self._stream.flush()


def format_report(report: IndexReport) -> str:
    lines = [report.summary()]
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        if ids:
            shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            lines.append(f"  {label}: {shown}")
    for s in report.skipped:
        lines.append(f"  skipped {s.origin}: {s.reason}")
    return "\n".join(lines)


def feeds_command(args: argparse.Namespace, feeds: FeedSync) -> int:
    """`python -m rag feeds sync|list|add|remove` on the app's feeds; the exit status."""
    from dataclasses import asdict

    from .sources.feeds import format_statuses, format_sync_report

    if args.feeds_command == "add":
        print(f"subscribed to {feeds.add(args.url)}")
    elif args.feeds_command == "remove":
        print(f"unsubscribed from {feeds.remove(args.url)}; the articles it brought stay in the corpus")
    elif args.feeds_command == "list":
        statuses = feeds.statuses()
        if args.json:
            print(json.dumps([{**asdict(st), "problem": st.problem} for st in statuses], ensure_ascii=False,
                             indent=2))
        else:
            print(format_statuses(statuses))
    elif args.feeds_command == "sync":
        report = feeds.sync(progress=TerminalProgress())
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else
              format_sync_report(report))
        return 2 if report.failed or report.index_error else 0
    return 0


def _filters(args: argparse.Namespace) -> Filters:
    if args.since and args.until and args.since > args.until:
        raise RagError("--since is after --until")
    return Filters(sources=tuple(args.source), since=args.since, until=args.until, as_of=args.as_of)


# What the terminal chat says to a line that starts like a slash command other than /ask.
CHAT_COMMANDS = ("Here, type a question (or /ask and a question). The other slash commands are the Discord bot's; "
                 "from a shell: python -m rag timeline TOPIC, python -m rag stats, python -m rag --help.")


def chat(service, filters: Filters, stdin=sys.stdin, stdout=sys.stdout) -> None:
    """A question-and-answer loop on the terminal; an empty line or EOF ends it."""
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # an undecodable byte must not end the chat
    stats = service.stats()
    articles = f"{stats.articles} article{'s' if stats.articles != 1 else ''}"
    passages = f"{stats.chunks} passage{'s' if stats.chunks != 1 else ''}"
    stdout.write(f"Ask about {articles} ({passages}). "
                 "Empty line or Ctrl-D to quit.\n")
    while True:
        stdout.write("\n? ")
        stdout.flush()
        line = stdin.readline()
        if not line or not line.strip():
            return
        command, _, rest = line.strip().partition(" ")
        if command == "/ask" and rest.strip():
            line = rest  # as the bot's /ask is typed: the question after it
        elif command.startswith("/"):
            stdout.write(CHAT_COMMANDS + "\n")
            continue
        try:
            answer = service.ask(line, filters)
            hint = refusal_hint(answer, bool(filters.since or filters.until), chat=True)
            stdout.write(format_answer(answer, hint) + "\n")
        except RagError as exc:
            stdout.write(f"error: {exc}\n")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from .app import App  # heavy imports after argument errors are out of the way
    from .index.embeddings import use_model_environment

    try:
        load_dotenv_once()
        settings = Settings.from_env()
        if args.data_dir:
            settings = settings.replace(data_dir=args.data_dir)
        use_model_environment(settings.embedding_runtime)
        app = App(settings)
        service = app.service
        if args.command == "index":
            report = service.reindex(args.corpus, full=args.full, progress=TerminalProgress())
            print(format_report(report))
        elif args.command == "ask":
            answer = service.ask(args.question, _filters(args))
            if args.json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
            else:
                print(format_answer(answer, refusal_hint(answer, bool(args.since or args.until))))
        elif args.command == "timeline":
            timeline = service.timeline(args.topic, _filters(args))
            if args.json:
                print(json.dumps(timeline.to_dict(), ensure_ascii=False, indent=2))
            else:
                print(format_timeline(timeline))
        elif args.command == "stats":
            s = service.stats()
            print(f"articles: {s.articles}\nchunks: {s.chunks}\n"
                  f"published: {_day(s.oldest)} to {_day(s.newest)} ({s.undated} undated)\n"
                  f"sources: " + ", ".join(f"{k} ({v})" for k, v in list(s.sources.items())[:10]) +
                  f"\nlast reindex: {s.last_reindex or '-'}\nembedding: {s.embedding}\n"
                  f"answer mode: {s.answer_mode}\nranking: {s.ranking}\nstore: {s.store}")
        elif args.command == "chat":
            chat(service, _filters(args))
        elif args.command == "feeds":
            return feeds_command(args, app.feeds)
    except (RagError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug or a broken file: one line, the traceback with -v
        if args.verbose:
            log.exception("unexpected error")
        print(f"error: unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:200]} "
              "(run again with -v to see where)", file=sys.stderr)
        return 1
    return 0
