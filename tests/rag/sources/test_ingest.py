"""Tests for rag.sources.ingest: every bad input, stable ids, the path policy, the seed corpus."""

from __future__ import annotations

import gzip
import json
import os
from datetime import date
from pathlib import Path

import pytest

from rag.sources.ingest import iter_corpus, load_corpus
from rag.core.types import Skipped

from tests.conftest import ROOT as REPO
from tests.rag.sources.files import bench_record, jsonl, load_one, sha16, write

SEED = REPO / "corpus" / "2024-09-17-bamako-faladie-attack.md"


# --------------------------------------------------------------------------- bad input

GOOD = "Headline\nA perfectly good article body."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"abc\x00\x01\x02def", "binary file"),
        ("latin1.txt", "Caf\u00e9 au lait".encode("latin-1"), "not UTF-8 text"),
        ("utf16.txt", "Hello".encode("utf-16"), "not UTF-8 text (UTF-16)"),
        ("empty.txt", b"", "empty file"),
        ("blank.md", "  \n\n \t\n", "empty file"),
        ("furniture.txt", "Advertisement\n\nRead more: elsewhere\nShare this article\n", "no text left after cleaning"),
        ("only-meta.md", "---\ntitle: Nothing else\n---\n", "no text"),
        ("bad-yaml.md", "---\ntitle: [unclosed\n---\nBody.", "invalid front matter"),
        ("unclosed.md", "---\ntitle: Open\nBody without a closing line.", "invalid front matter: no closing '---' line"),
        ("list.md", "---\n- a\n- b\n---\nBody.", "invalid front matter: expected 'key: value' lines"),
        ("wrongtype.md", "---\ntitle:\n  nested: map\n---\nBody.", "'title' must be a string"),
        ("doc.pdf", b"%PDF-1.4", "unsupported file type .pdf"),
        ("Makefile", "all:\n", "unsupported file type (no extension)"),
        ("bad.json", "{not json", "invalid JSON"),
        ("scalar.json", "42", "JSON must be an object or a list of objects"),
        ("nolist.json", "[]", "no records in file"),
        ("notext.json", json.dumps({"title": "No body"}), "record has no text"),
        ("broken.jsonl.gz", b"this is not gzip data", "not a valid gzip file"),
    ],
)
def test_bad_file_is_skipped_and_good_file_still_loads(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, name, content)
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["good.txt"]
    assert len(skipped) == 1
    assert skipped[0].origin == name
    assert skipped[0].reason.startswith(reason)


def test_file_over_size_limit_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "big.txt", "Big headline\n" + "word " * 500)
    articles, skipped = load_corpus(tmp_path, max_file_bytes=1024)
    assert [a.origin for a in articles] == ["good.txt"]
    assert skipped == [Skipped("big.txt", "larger than 1 KB")]


def test_size_limit_in_megabytes_is_reported_in_mb(tmp_path: Path) -> None:
    write(tmp_path, "big.txt", b"x" * (1024 * 1024 + 1))
    _, skipped = load_corpus(tmp_path, max_file_bytes=1024 * 1024)
    assert skipped == [Skipped("big.txt", "larger than 1 MB")]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("{this is not json", "invalid JSON"),
        (json.dumps({"title": "No text"}), "record has no text"),
        (json.dumps({"title": "Blank", "text": "   "}), "record has no text"),
        (json.dumps({"text": ["a", "list"]}), "'text' must be a string"),
        (json.dumps(["not", "an", "object"]), "not a JSON object"),
        (json.dumps({"text": "Advertisement"}), "no text left after cleaning"),
        (json.dumps({"text": "Body.", "title": {"a": 1}}), "'title' must be a string"),
    ],
)
def test_bad_jsonl_line_is_skipped_other_lines_load(tmp_path: Path, bad_line: str, reason: str) -> None:
    lines = json.dumps(bench_record(1)) + "\n" + bad_line + "\n" + json.dumps(bench_record(3)) + "\n"
    write(tmp_path, "a.jsonl", lines)
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["a.jsonl:1", "a.jsonl:3"]
    assert len(skipped) == 1
    assert skipped[0].origin == "a.jsonl:2"
    assert skipped[0].reason.startswith(reason)


@pytest.mark.parametrize("name,opener", [("a.jsonl", None), ("a.jsonl.gz", gzip.compress)])
def test_a_jsonl_line_with_a_nul_byte_is_skipped_alone(tmp_path: Path, name: str, opener) -> None:
    content = (json.dumps(bench_record(1)) + "\n").encode() + b'{"text": "bro\x00ken"}\n' + (
        json.dumps(bench_record(3)) + "\n").encode()
    write(tmp_path, name, opener(content) if opener else content)
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == [f"{name}:1", f"{name}:3"]
    assert skipped == [Skipped(f"{name}:2", "binary data (NUL bytes) in the line")]


def test_a_jsonl_file_without_lines_and_with_nul_bytes_is_binary(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", b"\x00\x01\x02" * 100)
    assert load_corpus(tmp_path) == ([], [Skipped("a.jsonl", "binary file")])


def test_non_utf8_jsonl_line_is_skipped(tmp_path: Path) -> None:
    content = (json.dumps(bench_record(1)) + "\n").encode() + b'{"text": "caf\xe9"}\n'
    write(tmp_path, "a.jsonl", content)
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["a.jsonl:1"]
    assert skipped == [Skipped("a.jsonl:2", "not UTF-8 text")]


def test_bad_json_list_item_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "a.json", json.dumps([bench_record(1), "oops", {"title": "no text"}]))
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["a.json[0]"]
    assert skipped == [Skipped("a.json[1]", "not a JSON object"), Skipped("a.json[2]", "record has no text")]


def test_jsonl_size_limit_applies_per_line(tmp_path: Path) -> None:
    big = json.dumps(bench_record(2, text="word " * 400))
    write(tmp_path, "a.jsonl", jsonl([bench_record(1)]) + big + "\n" + jsonl([bench_record(3)]))
    articles, skipped = load_corpus(tmp_path, max_file_bytes=1024)
    assert [a.origin for a in articles] == ["a.jsonl:1", "a.jsonl:3"]
    assert skipped == [Skipped("a.jsonl:2", "record larger than 1 KB")]


def test_truncated_gzip_keeps_earlier_records(tmp_path: Path) -> None:
    data = gzip.compress(jsonl([bench_record(i) for i in range(1, 200)]).encode())
    write(tmp_path, "a.jsonl.gz", data[: len(data) - 20])
    articles, skipped = load_corpus(tmp_path)
    assert articles and len(articles) < 199
    assert len(skipped) == 1 and skipped[0].origin == "a.jsonl.gz"
    assert skipped[0].reason.startswith("corrupt gzip data after line")


def test_duplicate_id_keeps_first(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: same\n---\nFirst article.")
    write(tmp_path, "b.md", "---\nid: same\n---\nSecond article.")
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["a.md"]
    assert skipped == [Skipped("b.md", "duplicate id same (first seen in a.md)")]


def test_duplicate_id_across_jsonl_records(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", jsonl([bench_record(1), bench_record(1, title="Again")]))
    _, skipped = load_corpus(tmp_path)
    assert skipped == [Skipped("a.jsonl:2", f"duplicate id {1:016x} (first seen in a.jsonl:1)")]


@pytest.mark.parametrize(
    "rel",
    [".DS_Store", ".hidden.txt", ".git/config.txt", "sub/.cache/x.txt", "README.md", "sub/README.txt",
     "readme.md", "notes.txt~", "Thumbs.db", "~$draft.txt"],
)
def test_junk_and_readme_are_ignored_silently(tmp_path: Path, rel: str) -> None:
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, rel, b"\x00junk" if rel.endswith("Store") else "Some headline\nSome text.")
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["good.txt"]
    assert skipped == []


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")


def test_root_that_is_a_file_raises(tmp_path: Path) -> None:
    f = write(tmp_path, "file.txt", GOOD)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        iter_corpus(f)  # raised at once, not on first iteration


# --------------------------------------------------------------------------- ids and order


def test_editing_a_file_keeps_its_id(tmp_path: Path) -> None:
    path = write(tmp_path, "story.txt", GOOD)
    before = load_one(tmp_path)
    path.write_text(GOOD + "\nA correction was appended.", encoding="utf-8")
    after = load_one(tmp_path)
    assert after.id == before.id
    assert after.content_hash != before.content_hash


def test_different_files_get_different_ids(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "sub/a.txt", GOOD)
    articles, _ = load_corpus(tmp_path)
    assert len({a.id for a in articles}) == 2


def test_ids_of_records_are_stable_across_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", jsonl([{"title": "T1", "text": "One."}, {"title": "T2", "text": "Two."}]))
    first, _ = load_corpus(tmp_path)
    second, _ = load_corpus(tmp_path)
    assert [a.id for a in first] == [a.id for a in second]
    assert len({a.id for a in first}) == 2


def test_walk_is_recursive_and_sorted(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.md", "a/b/c.txt", "c.json"]:
        content = json.dumps({"text": "Body."}) if rel.endswith(".json") else GOOD
        write(tmp_path, rel, content)
    articles, _ = load_corpus(tmp_path)
    assert [a.origin for a in articles] == sorted(["b.txt", "a/z.md", "a/b/c.txt", "c.json"])


def test_iter_corpus_matches_load_corpus(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.pdf", b"%PDF")
    items = list(iter_corpus(tmp_path))
    articles, skipped = load_corpus(tmp_path)
    assert items == [*articles, *skipped]


# --------------------------------------------------------------------------- the seed corpus


def test_seed_article_loads_with_metadata_and_without_read_also() -> None:
    articles, skipped = load_corpus(SEED.parent)
    assert skipped == []  # corpus/README.md is ignored, nothing else is bad
    seed = next(a for a in articles if a.origin == SEED.name)
    assert seed.id == "c832c291b0591559"
    assert seed.title == "Militants attack gendarmerie school in Mali's capital, Bamako"
    assert seed.published == date(2024, 9, 17)
    assert seed.source == "seed article (outlet unknown)"
    assert seed.url == ""
    assert seed.text.startswith("Extremists launched an assault on a military training facility")
    assert seed.text.endswith("remains to be seen.")
    assert "READ ALSO" not in seed.text
    assert "READ ALSO: Ghana’s Democracy at a Crossroads" in SEED.read_text(encoding="utf-8")


def test_deeply_nested_json_is_skipped_not_raised(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    write(tmp_path, "deep.jsonl", jsonl([bench_record(1)]) + "[" * 100_000 + "]" * 100_000 + "\n")
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["deep.jsonl:1", "good.txt"]
    assert skipped == [
        Skipped("deep.json", "invalid JSON: nested too deeply"),
        Skipped("deep.jsonl:2", "invalid JSON: nested too deeply"),
    ]


def test_an_undated_article_takes_the_date_of_its_dateline(tmp_path):
    from datetime import date

    from rag.sources.ingest import load_corpus
    from rag.sources.records import dateline

    (tmp_path / "a.md").write_text("---\ntitle: Attack in Bamako\n---\nBAMAKO, Sept. 17, 2024 (Wire) — Gunmen "
                                   "attacked a gendarmerie school on Tuesday, officials said.\n")
    (tmp_path / "b.md").write_text("---\ntitle: Dated\npublished: 2024-09-18\n---\nBAMAKO, Sept. 17, 2024 — "
                                   "The front matter wins over the dateline.\n")
    (tmp_path / "c.md").write_text("---\ntitle: Undated\n---\nA report that mentions 2024 and March "
                                   "but carries no dateline stays undated.\n")
    articles = {a.title: a for a in load_corpus(tmp_path)[0]}
    assert articles["Attack in Bamako"].published == date(2024, 9, 17)
    assert articles["Dated"].published == date(2024, 9, 18)
    assert articles["Undated"].published is None
    assert dateline("Published 14 Nov 2026. The council met.") == date(2026, 11, 14)
    assert dateline("x" * 300 + " March 3, 2024") is None  # only the top of the text is a dateline
    assert dateline("On February 30, 2024 nothing happened.") is None  # not a real date


# --------------------------------------------------------------------------- the path policy


def test_symbolic_links_to_outside_the_corpus_are_not_followed(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    write(corpus, "good.txt", GOOD)
    secret = write(outside, "env.txt", "Settings\nDISCORD_TOKEN=abc.secret.token and more words here.")
    write(outside, "notes/leak.md", "Leak\nThe vault code is 4711, said the note.")
    (corpus / "token.txt").symlink_to(secret)
    (corpus / "shared").symlink_to(outside / "notes", target_is_directory=True)
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    articles, skipped = load_corpus(corpus)
    assert [a.origin for a in articles] == ["good.txt"]
    assert not any("secret" in a.text or "4711" in a.text for a in articles)
    reason = "symbolic link to outside the corpus folder (not followed)"
    assert {(s.origin, s.reason) for s in skipped} == {
        ("token.txt", reason), ("shared", reason), ("passwd.txt", reason)}


def test_symbolic_links_inside_the_corpus_are_read_under_their_own_name(tmp_path: Path) -> None:
    write(tmp_path, "a/story.txt", GOOD)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "copy.md").symlink_to(tmp_path / "a" / "story.txt")
    (tmp_path / "c").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    articles, skipped = load_corpus(tmp_path)
    assert sorted(a.origin for a in articles) == ["a/story.txt", "b/copy.md", "c/story.txt"]
    assert skipped == [Skipped("gone.txt", "broken symbolic link")]


def test_a_folder_symlink_loop_is_reported_and_the_rest_loads(tmp_path: Path) -> None:
    write(tmp_path, "news/story.txt", GOOD)
    (tmp_path / "news" / "again").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "news" / "self").symlink_to(".", target_is_directory=True)
    articles, skipped = load_corpus(tmp_path)
    assert [a.origin for a in articles] == ["news/story.txt"]
    loop = "symbolic link loop: the link points to a folder that contains it (not followed)"
    assert skipped == [Skipped("news/again", loop), Skipped("news/self", loop)]


def test_deeply_nested_folders_are_read(tmp_path: Path) -> None:
    levels = [str(tmp_path)]
    for _ in range(1500):  # (os.makedirs, pathlib and shutil.rmtree recurse once per level)
        levels.append(levels[-1] + "/d")
        os.mkdir(levels[-1])
    try:
        write(Path(levels[-1]), "story.txt", GOOD)
        write(tmp_path, "top.txt", GOOD)
        articles, skipped = load_corpus(tmp_path)
        assert skipped == []
        assert sorted(a.origin for a in articles) == ["d/" * 1500 + "story.txt", "top.txt"]
    finally:
        Path(levels[-1], "story.txt").unlink(missing_ok=True)
        for level in reversed(levels[1:]):
            os.rmdir(level)


def test_a_fifo_is_reported_not_read(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", GOOD)
    os.mkfifo(tmp_path / "pipe.md")
    articles, skipped = load_corpus(tmp_path)  # reading the pipe would block for ever
    assert [a.origin for a in articles] == ["good.txt"]
    assert skipped == [Skipped("pipe.md", "not a regular file (a pipe, socket or device)")]


def test_a_name_that_is_not_utf8_is_loaded_under_an_escaped_origin(tmp_path: Path) -> None:
    with open(os.path.join(os.fsencode(tmp_path), b"latin\xe9-name.md"), "wb") as fh:
        fh.write(b"Harbour reopens\nThe harbour reopened on Monday.")
    article = load_one(tmp_path)
    assert article.origin == "latin\\xe9-name.md"
    assert article.title == "Harbour reopens"
    article.origin.encode("utf-8")  # storable: no surrogates left
    assert article.id == sha16("latin\\xe9-name.md")


def test_lone_surrogates_in_json_fields_are_dropped(tmp_path: Path) -> None:
    write(tmp_path, "a.json", '{"text": "Body text.", "title": "Bad \\ud800 title", "url": "https://x.example/\\udce9",'
                              ' "source": "wire\\udfff"}')
    article = load_one(tmp_path)
    assert (article.title, article.url, article.source) == ("Bad title", "https://x.example/", "wire")


@pytest.mark.parametrize("swap", ["file", "folder"])
def test_a_file_swapped_for_a_link_after_the_listing_is_not_followed(tmp_path: Path, monkeypatch, swap: str) -> None:
    """Between listing the corpus and reading a file, someone replaces it (or its folder) with a link out."""
    import rag.sources.ingest as ingest

    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    write(corpus, "a/story.txt", GOOD)
    write(corpus, "a/z.txt", GOOD)
    secret = write(outside, "story.txt", "Secret\nDISCORD_TOKEN=abc.secret.token")
    listed = ingest._list_files

    def list_then_swap(root: Path):
        found = listed(root)
        if swap == "file":
            (corpus / "a" / "story.txt").unlink()
            (corpus / "a" / "story.txt").symlink_to(secret)
        else:
            (corpus / "a").rename(corpus / "gone")
            (corpus / "a").symlink_to(outside, target_is_directory=True)
        return found

    monkeypatch.setattr(ingest, "_list_files", list_then_swap)
    articles, skipped = load_corpus(corpus)
    assert not any("secret" in a.text for a in articles)
    reason = {"file": "symbolic link put in place of the file while the corpus was read (not followed)",
              "folder": "symbolic link to outside the corpus folder (not followed)"}[swap]
    assert Skipped("a/story.txt", reason) in skipped


def test_chains_of_folder_links_are_read_once_each_not_exponentially(tmp_path: Path) -> None:
    levels = 24  # two links a level to the next: 2**24 paths if every link were followed every time
    for i in range(levels):
        write(tmp_path, f"l{i}/story{i}.txt", GOOD)
    for i in range(levels - 1):
        (tmp_path / f"l{i}" / "x").symlink_to(tmp_path / f"l{i + 1}", target_is_directory=True)
        (tmp_path / f"l{i}" / "y").symlink_to(tmp_path / f"l{i + 1}", target_is_directory=True)
    articles, skipped = load_corpus(tmp_path)
    real = {f"l{i}/story{i}.txt" for i in range(levels)}
    assert real <= {a.origin for a in articles}
    assert len(articles) < 4 * levels
    assert skipped and all(s.reason in (
        "symbolic link to a folder already read through another link (not followed)",
        "symbolic link loop: the link points to a folder that contains it (not followed)") for s in skipped)
