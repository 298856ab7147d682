"""The bad-corpus zoo: every kind of bad file an operator's corpus holds, next to the good articles.

Each kind is written into one corpus, which is indexed once with the real model and a real
Chroma store. Each kind must end either skipped, with its reason, or indexed clean (text a
store can keep, nothing that disguises text); the commit must happen, and every good
article must still be answered.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.index import manifest as manifest_io
from rag.sources.ingest import load_corpus
from rag.service import RagService
from rag.core.settings import Settings
from rag.core.types import Article

from tests.conftest import ARTICLES, write_corpus

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOKEN = "MTIz.zoo-secret.discord-token"
BODY = "The harbour authority said on Monday that the old quay will be rebuilt in stone next year."


def put(root: Path, rel: str, data: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def record(**fields) -> str:
    return json.dumps(fields)


def _deep_folders(root: Path) -> None:
    folder = str(root / "deep")
    os.mkdir(folder)
    for _ in range(300):
        folder += "/d"
        os.mkdir(folder)
    put(Path(folder), "quay.md", f"Deep quay story\n{BODY}")


def _non_utf8_name(root: Path) -> None:
    with open(os.fsencode(root) + b"/latin\xe9-quay.md", "wb") as fh:
        fh.write(f"Quay rebuilt\n{BODY}".encode())


def _symlinks_out(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
    (outside / "notes").mkdir(exist_ok=True)
    (outside / "notes" / "memo.md").write_text(f"Memo\nThe token is {TOKEN}.", encoding="utf-8")
    (root / "env.txt").symlink_to(outside / ".env")
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "notes").symlink_to(outside / "notes", target_is_directory=True)


def _loop(root: Path) -> None:
    (root / "loop").mkdir()
    (root / "loop" / "back").symlink_to("..", target_is_directory=True)


@dataclass(frozen=True)
class Kind:
    """One kind of file: how to make it, and what must become of each origin it yields."""

    name: str
    make: Callable[[Path], None]
    expected: dict[str, str]  # origin -> skip reason (a regex, matched in full), or CLEAN


CLEAN = "indexed clean"
OUTSIDE = re.escape("symbolic link to outside the corpus folder (not followed)")

KINDS = [
    Kind("NUL bytes", lambda r: put(r, "binary.txt", b"\x00\x01\x02" * 200), {"binary.txt": "binary file"}),
    Kind("UTF-16", lambda r: put(r, "utf16.md", "Title\nText.".encode("utf-16")),
         {"utf16.md": re.escape("not UTF-8 text (UTF-16)")}),
    Kind("Latin-1 bytes", lambda r: put(r, "latin1.txt", "Caf\xe9 cr\xe8me\nIt was good.".encode("latin-1")),
         {"latin1.txt": "not UTF-8 text"}),
    Kind("zero bytes", lambda r: put(r, "empty.md", b""), {"empty.md": "empty file"}),
    Kind("whitespace only", lambda r: put(r, "blank.txt", " \n\t\n  \n"), {"blank.txt": "empty file"}),
    Kind("a PDF", lambda r: put(r, "scan.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3"),
         {"scan.pdf": re.escape("unsupported file type .pdf")}),
    Kind("no extension", lambda r: put(r, "NOTES", "Some notes"),
         {"NOTES": re.escape("unsupported file type (no extension)")}),
    Kind("over the size limit", lambda r: put(r, "huge.txt", "Huge\n" + "All work and no play. " * 60000),
         {"huge.txt": "larger than 1 MB"}),
    Kind("front matter not closed", lambda r: put(r, "unclosed.md", "---\ntitle: Open\nThe text."),
         {"unclosed.md": re.escape("invalid front matter: no closing '---' line")}),
    Kind("broken YAML", lambda r: put(r, "yaml.md", "---\ntitle: [unclosed\n---\nText."),
         {"yaml.md": "invalid front matter: .+"}),
    Kind("front matter not a mapping", lambda r: put(r, "list.md", "---\n- a\n- b\n---\nText."),
         {"list.md": re.escape("invalid front matter: expected 'key: value' lines")}),
    Kind("title of the wrong type", lambda r: put(r, "title.md", "---\ntitle: [a, b]\n---\nText here."),
         {"title.md": re.escape("'title' must be a string")}),
    Kind("front matter without body", lambda r: put(r, "nobody.md", "---\ntitle: Nothing\n---\n"),
         {"nobody.md": "no text"}),
    Kind("page furniture only", lambda r: put(r, "furniture.txt", "Advertisement\nRead more: other story\n"),
         {"furniture.txt": "no text left after cleaning"}),
    Kind("invalid JSON", lambda r: put(r, "bad.json", '{"text": "unterminated'),
         {"bad.json": "invalid JSON: .+"}),
    Kind("JSON scalar", lambda r: put(r, "scalar.json", "42"),
         {"scalar.json": re.escape("JSON must be an object or a list of objects")}),
    Kind("empty JSON list", lambda r: put(r, "none.json", "[]"), {"none.json": "no records in file"}),
    Kind("JSON nested too deeply", lambda r: put(r, "deep.json", "[" * 100000 + "]" * 100000),
         {"deep.json": re.escape("invalid JSON: nested too deeply")}),
    Kind("JSON list with a non-object", lambda r: put(r, "mixed.json", json.dumps([7, {"text": BODY}])),
         {"mixed.json[0]": "not a JSON object", "mixed.json[1]": CLEAN}),
    Kind("'text' of the wrong type", lambda r: put(r, "textnum.json", record(text=5)),
         {"textnum.json": re.escape("'text' must be a string")}),
    Kind("'id' of the wrong type", lambda r: put(r, "idbool.json", record(id=True, text=BODY)),
         {"idbool.json": re.escape("'id' must be a string")}),
    Kind("JSON Lines with bad lines", lambda r: put(r, "lines.jsonl", "\n".join([
        record(title="Quay one", text=BODY), "{oops", record(title="no text"), '["a list"]',
        record(title="Quay two", text=BODY + " Two.")]) + "\n"),
         {"lines.jsonl:1": CLEAN, "lines.jsonl:2": "invalid JSON: .+", "lines.jsonl:3": "record has no text",
          "lines.jsonl:4": "not a JSON object", "lines.jsonl:5": CLEAN}),
    Kind("a JSON Lines line with a NUL byte", lambda r: put(r, "nul.jsonl", b"\n".join([
        record(title="Nul one", text=BODY).encode(), b'{"text": "bro\x00ken"}',
        record(title="Nul three", text=BODY + " Three.").encode()]) + b"\n"),
         {"nul.jsonl:1": CLEAN, "nul.jsonl:2": re.escape("binary data (NUL bytes) in the line"),
          "nul.jsonl:3": CLEAN}),
    Kind("a JSON Lines line not UTF-8", lambda r: put(r, "latin.jsonl", b'{"text": "caf\xe9"}\n'
                                                      + record(title="Latin two", text=BODY).encode() + b"\n"),
         {"latin.jsonl:1": "not UTF-8 text", "latin.jsonl:2": CLEAN}),
    Kind("a JSON Lines record over the limit", lambda r: put(r, "long.jsonl", record(text="word " * 250000) + "\n"
                                                             + record(title="Short", text=BODY) + "\n"),
         {"long.jsonl:1": "record larger than 1 MB", "long.jsonl:2": CLEAN}),
    Kind("truncated gzip", lambda r: put(r, "cut.jsonl.gz", gzip.compress(
        "".join(record(title=f"Gz {i}", text=f"{BODY} Number {i}.") + "\n" for i in range(400)).encode())[:-200]),
         {**{f"cut.jsonl.gz:{i}": CLEAN for i in range(1, 4)}, "cut.jsonl.gz": "corrupt gzip data after line .+"}),
    Kind("not gzip at all", lambda r: put(r, "plain.jsonl.gz", record(text=BODY) + "\n"),
         {"plain.jsonl.gz": "not a valid gzip file"}),
    Kind("HTML without an article", lambda r: put(r, "nav.html", "<html><head><title>Nothing</title></head>"
                                                                 "<body></body></html>"),
         {"nav.html": "no article text found in the HTML"}),
    Kind("duplicate ids", lambda r: (put(r, "dup-a.md", f"---\nid: same-id\n---\nFirst\n{BODY}"),
                                     put(r, "dup-b.md", f"---\nid: same-id\n---\nSecond\n{BODY}")),
         {"dup-a.md": CLEAN, "dup-b.md": re.escape("duplicate id same-id (first seen in dup-a.md)")}),
    Kind("symbolic links to outside the corpus", _symlinks_out,
         {"env.txt": OUTSIDE, "passwd.txt": OUTSIDE, "notes": OUTSIDE}),
    Kind("a folder symlink loop", _loop, {"loop/back": "symbolic link loop: .+"}),
    Kind("a broken symbolic link", lambda r: (r / "gone.md").symlink_to(r / "missing.md"),
         {"gone.md": "broken symbolic link"}),
    Kind("a named pipe", lambda r: os.mkfifo(r / "pipe.md"),
         {"pipe.md": re.escape("not a regular file (a pipe, socket or device)")}),
    Kind("a name that is not UTF-8", _non_utf8_name, {"latin\\xe9-quay.md": CLEAN}),
    Kind("300 nested folders", _deep_folders, {"deep/" + "d/" * 300 + "quay.md": CLEAN}),
    Kind("terminal colours, bidi and tag characters", lambda r: put(
        r, "ansi.txt", f"\x1b[31mRed\x1b[0m quay\nuser\u202egnp.exe {BODY}\U000e0041\U000e0042 Disguised."),
         {"ansi.txt": CLEAN}),
    Kind("lone surrogates in JSON", lambda r: put(r, "surrogate.json", record(
        title="Bad \ud800 title", text=BODY + " \udce9", source="wire\udfff", url="https://x.example/\ud83d")),
         {"surrogate.json": CLEAN}),
    Kind("BOM and CRLF", lambda r: put(r, "windows.txt", "\ufeffWindows quay\r\n" + BODY.replace(". ", ".\r\n")),
         {"windows.txt": CLEAN}),
    Kind("an unparseable date", lambda r: put(r, "date.md", f"---\ndate: next Tuesday\n---\nDated quay\n{BODY}"),
         {"date.md": CLEAN}),
]

# Found without a report: hidden files and folders, OS and editor junk, README files.
IGNORED = {".hidden.md": "Hidden\nText.", ".git/config.txt": "x", "Thumbs.db": b"\x00", "notes.md~": "x",
           "README.md": "Readme\nText."}

DISGUISE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\U000e0000-\U000e007f\ud800-\udfff]")


def clean(article: Article) -> bool:
    """Nothing in the article that disguises text, and every field storable as UTF-8."""
    fields = [article.title, article.text, article.source, article.url, article.origin, *article.authors]
    for f in fields:
        f.encode("utf-8")  # raises on a lone surrogate
    return not any(DISGUISE.search(f) or "[31m" in f for f in fields)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory, embeddings):
    root = tmp_path_factory.mktemp("zoo")
    settings = Settings().replace(corpus_dir=root / "corpus", data_dir=root / "data", max_file_mb=1)
    write_corpus(settings.corpus_dir)
    for kind in KINDS:
        kind.make(settings.corpus_dir)
    for rel, data in IGNORED.items():
        put(settings.corpus_dir, rel, data)
    service = RagService(settings, embeddings=embeddings)
    report = service.reindex()
    yield service, report
    levels = [str(settings.corpus_dir / "deep")]  # (shutil.rmtree recurses once per folder level)
    while os.path.isdir(levels[-1] + "/d"):
        levels.append(levels[-1] + "/d")
    os.unlink(levels[-1] + "/quay.md")
    for level in reversed(levels):
        os.rmdir(level)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_each_kind_is_skipped_with_its_reason_or_indexed_clean(zoo, kind):
    service, report = zoo
    skipped = {s.origin: s.reason for s in report.skipped}
    articles = {a.origin: a for a in load_corpus(service.settings.corpus_dir, service.settings.max_file_bytes)[0]}
    indexed = {e.origin for e in manifest_io.read(service.settings.data_dir).articles.values()}
    for origin, outcome in kind.expected.items():
        if outcome == CLEAN:
            assert origin not in skipped, (origin, skipped.get(origin))
            assert origin in indexed and clean(articles[origin]), origin
        else:
            assert origin in skipped, f"{origin} was not reported (skipped: {sorted(skipped)})"
            assert re.fullmatch(outcome, skipped[origin]), (origin, skipped[origin])


def test_nothing_else_is_reported_and_the_ignored_files_are_silent(zoo):
    service, report = zoo
    expected = {o for k in KINDS for o, outcome in k.expected.items() if outcome != CLEAN}
    assert {s.origin for s in report.skipped} == expected
    origins = {e.origin for e in manifest_io.read(service.settings.data_dir).articles.values()}
    assert not any(o.startswith((".", "Thumbs", "README")) or o.endswith("~") for o in origins)


@pytest.mark.parametrize("question,expected", [
    ("What will the new tram line cost?", "310 million euros"),
    ("How full were the reservoirs in Valdoria?", "18 percent"),
    ("Who scored the winning goal in the cup final?", "Brekke"),
    ("How many jobs will the Lumetra battery factory create?", "1,200 jobs"),
])
def test_every_good_article_is_still_answered(zoo, question, expected):
    service, _ = zoo
    answer = service.ask(question)
    assert not answer.refused and expected in answer.text


def test_the_good_articles_are_all_indexed_and_the_secret_is_not(zoo):
    service, _ = zoo
    origins = {e.origin for e in manifest_io.read(service.settings.data_dir).articles.values()}
    assert set(ARTICLES) <= origins
    found = " ".join(p.chunk.text for p in service.search("DISCORD_TOKEN secret token memo", k=20))
    assert TOKEN not in found
