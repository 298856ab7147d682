"""Tests for rag.sources.records: every supported format, read into articles with their fields."""

from __future__ import annotations

import gzip
import json
import logging
from datetime import date
from pathlib import Path

import pytest

from rag.core.types import Article, Skipped
from rag.sources.ingest import load_corpus

from tests.rag.sources.files import BODY, bench_record, jsonl, load_one, sha16, write


# --------------------------------------------------------------------------- plain text


def test_txt_without_front_matter_takes_title_from_short_first_line(tmp_path: Path) -> None:
    write(tmp_path, "strike.txt", "Port strike ends\n" + BODY)
    a = load_one(tmp_path)
    assert a.title == "Port strike ends"
    assert a.text == "Port strike ends\n" + BODY
    assert a.id == sha16("strike.txt")
    assert a.origin == "strike.txt"
    assert (a.published, a.url, a.source, a.authors) == (None, "", "", ())


@pytest.mark.parametrize(
    "first_line",
    [
        "A first line that ends with a period is a sentence, not a title.",
        "A very long first line " + "that goes on and on " * 10,
    ],
)
def test_txt_title_falls_back_to_file_stem(tmp_path: Path, first_line: str) -> None:
    write(tmp_path, "port-strike.txt", first_line + "\n" + BODY)
    assert load_one(tmp_path).title == "port-strike"


def test_txt_with_front_matter(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.txt",
        "---\n"
        "id: strike-2024\n"
        "title: 'Port   strike ends'\n"
        "published: 2024-03-05\n"
        "source: Harbour Times\n"
        "url: https://harbourtimes.example/strike\n"
        "authors: [Jane Doe, John Roe]\n"
        "---\n" + BODY + "\n",
    )
    a = load_one(tmp_path)
    assert a.id == "strike-2024"
    assert a.title == "Port strike ends"
    assert a.published == date(2024, 3, 5)
    assert a.source == "Harbour Times"
    assert a.url == "https://harbourtimes.example/strike"
    assert a.authors == ("Jane Doe", "John Roe")
    assert a.text == BODY


def test_md_title_from_heading(tmp_path: Path) -> None:
    write(tmp_path, "note.md", "---\nsource: Wire\n---\n# Port strike ends\n\n" + BODY)
    a = load_one(tmp_path)
    assert a.title == "Port strike ends"
    assert a.source == "Wire"


def test_front_matter_keys_are_strings_as_written(tmp_path: Path) -> None:
    # Plain YAML would read 0123 as the octal number 83 and "yes" as True.
    write(tmp_path, "a.md", "---\nid: 0123\ntitle: yes\n---\n" + BODY)
    a = load_one(tmp_path)
    assert (a.id, a.title) == ("0123", "yes")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jane Doe, John Roe", ("Jane Doe", "John Roe")),
        ("Jane Doe; John Roe", ("Jane Doe", "John Roe")),
        ("[Jane Doe, Jane Doe]", ("Jane Doe",)),
        ("Jane Doe", ("Jane Doe",)),
    ],
)
def test_front_matter_authors(tmp_path: Path, value: str, expected: tuple[str, ...]) -> None:
    write(tmp_path, "a.md", f"---\nauthors: {value}\n---\n" + BODY)
    assert load_one(tmp_path).authors == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05T23:30:00Z", date(2024, 3, 5)),
        ("2024-03-05T08:30:00.000+02:00", date(2024, 3, 5)),
        ("'2024-03-05 08:30'", date(2024, 3, 5)),
        ("null", None),
        ("", None),
    ],
)
def test_published_formats(tmp_path: Path, value: str, expected: date | None) -> None:
    write(tmp_path, "a.md", f"---\npublished: {value}\n---\n" + BODY)
    assert load_one(tmp_path).published == expected


def test_date_alias_and_author_alias(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ndate: 2024-03-05\nauthor: Jane Doe\n---\n" + BODY)
    a = load_one(tmp_path)
    assert (a.published, a.authors) == (date(2024, 3, 5), ("Jane Doe",))


def test_unparseable_date_keeps_article_undated_with_warning(tmp_path: Path, caplog) -> None:
    write(tmp_path, "a.md", "---\npublished: last Tuesday\n---\n" + BODY)
    with caplog.at_level(logging.WARNING, logger="rag.sources.ingest"):
        a = load_one(tmp_path)
    assert a.published is None
    assert "unparseable date 'last Tuesday'" in caplog.text


def test_text_is_cleaned(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Headline\r\n\r\n\r\nCaf\u0065\u0301  opens.\r\nAdvertisement\r\nIt  sells coffee.\r\n")
    assert load_one(tmp_path).text == "Headline\n\nCafé opens.\nIt sells coffee."


# --------------------------------------------------------------------------- HTML

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Port strike ends after three weeks | Harbour Times</title>
<meta property="og:title" content="Port strike ends after three weeks">
<meta property="og:site_name" content="Harbour Times">
<meta property="og:url" content="https://harbourtimes.example/news/port-strike-ends">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T08:30:00Z">
<link rel="canonical" href="https://harbourtimes.example/news/port-strike-ends">
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News desk</a></li>
<li><a href="/sport">Sport pages</a></li></ul></nav>
<header><div class="logo">Harbour Times</div></header>
<main><article>
<h1>Port strike ends after three weeks</h1>
<p>Dock workers at the city's container port returned to work on Tuesday after union members
voted to accept a new pay offer, ending a three-week strike that had left dozens of ships
waiting offshore.</p>
<p>The agreement raises wages by 9 percent over two years and limits mandatory overtime, the
union said in a statement. Port officials expect the backlog to clear within ten days.</p>
<p>Advertisement</p>
<p>Shipping companies had diverted some vessels to neighbouring ports during the dispute,
raising costs for importers of fruit and electronics.</p>
<p>READ MORE: How the strike began</p>
</article></main>
<footer><p>Copyright © 2024 Harbour Times. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/contact">Contact us</a></p></footer>
</body>
</html>
"""


def test_html_page(tmp_path: Path) -> None:
    write(tmp_path, "news/port.html", HTML_PAGE)
    a = load_one(tmp_path)
    assert a.title == "Port strike ends after three weeks"
    assert a.url == "https://harbourtimes.example/news/port-strike-ends"
    assert a.source == "Harbour Times"
    assert a.published == date(2024, 3, 5)
    assert a.authors == ("Jane Doe",)
    assert a.origin == "news/port.html"
    assert a.id == sha16("news/port.html")
    assert "raises wages by 9 percent" in a.text
    assert "importers of fruit and electronics." in a.text
    for furniture in ("News desk", "Privacy policy", "All rights reserved", "Advertisement", "READ MORE"):
        assert furniture not in a.text


def test_htm_extension_and_hostname_as_source(tmp_path: Path) -> None:
    page = HTML_PAGE.replace('<meta property="og:site_name" content="Harbour Times">\n', "")
    page = page.replace('<div class="logo">Harbour Times</div>', "")
    write(tmp_path, "port.htm", page)
    assert load_one(tmp_path).source == "harbourtimes.example"


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "empty.html", "<html><head><title>Nothing</title></head><body></body></html>")
    articles, skipped = load_corpus(tmp_path)
    assert articles == []
    assert skipped == [Skipped("empty.html", "no article text found in the HTML")]


# --------------------------------------------------------------------------- JSON formats


def test_json_object(tmp_path: Path) -> None:
    write(tmp_path, "one.json", json.dumps({"title": "Port strike ends", "text": BODY, "published": None}))
    a = load_one(tmp_path)
    assert (a.title, a.text, a.published, a.origin) == ("Port strike ends", BODY, None, "one.json")
    assert a.id == sha16("one.json")  # a single-article file: id from its path


def test_json_list(tmp_path: Path) -> None:
    write(tmp_path, "many.json", json.dumps([bench_record(1), bench_record(2, id=None, url="")]))
    articles, skipped = load_corpus(tmp_path)
    assert skipped == []
    assert [a.origin for a in articles] == ["many.json[0]", "many.json[1]"]
    assert articles[0].id == f"{1:016x}"
    assert len(articles[1].id) == 16 and articles[1].id != articles[0].id


def test_jsonl_in_bench_format(tmp_path: Path) -> None:
    write(tmp_path, "articles.jsonl", jsonl([bench_record(1), bench_record(2, published=None, authors=[])]))
    articles, skipped = load_corpus(tmp_path)
    assert skipped == []
    first, second = articles
    assert first == Article(
        id=f"{1:016x}",
        title="Story number 1",
        text="Paragraph one of story 1.\n\nParagraph two.",
        source="news.example",
        url="https://news.example/story/1",
        published=date(2023, 1, 5),
        authors=("Jane Doe", "John Roe"),
        origin="articles.jsonl:1",
    )
    assert (second.origin, second.published, second.authors) == ("articles.jsonl:2", None, ())


def test_jsonl_gz_in_bench_format(tmp_path: Path) -> None:
    write(tmp_path, "articles.jsonl.gz", gzip.compress(jsonl([bench_record(1), bench_record(2)]).encode()))
    articles, skipped = load_corpus(tmp_path)
    assert skipped == []
    assert [a.origin for a in articles] == ["articles.jsonl.gz:1", "articles.jsonl.gz:2"]
    assert articles[1].title == "Story number 2"


def test_jsonl_with_byte_order_mark_and_blank_lines(tmp_path: Path) -> None:
    content = "\ufeff" + json.dumps(bench_record(1)) + "\n\n" + json.dumps(bench_record(2)) + "\n"
    write(tmp_path, "a.jsonl", content)
    articles, skipped = load_corpus(tmp_path)
    assert skipped == []
    assert [a.origin for a in articles] == ["a.jsonl:1", "a.jsonl:3"]


def test_record_without_title_gets_one_from_text(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", jsonl([{"text": "Short headline\nBody text here."}]))
    assert load_one(tmp_path).title == "Short headline"


@pytest.mark.parametrize(
    ("record", "expected_id"),
    [
        ({"url": "https://x.example/1", "title": "T", "text": "Body."}, sha16("https://x.example/1")),
        ({"title": "T", "text": "Body."}, sha16("a.jsonl#T#Body.")),
        ({"id": "given-id", "url": "https://x.example/1", "text": "Body."}, "given-id"),
        ({"id": 42, "text": "Body."}, "42"),
        ({"id": "has spaces/and slashes", "text": "Body."}, sha16("has spaces/and slashes")),
    ],
)
def test_record_ids(tmp_path: Path, record: dict, expected_id: str) -> None:
    write(tmp_path, "a.jsonl", jsonl([record]))
    assert load_one(tmp_path).id == expected_id
