"""Uploads (the core of /ingest): checked by the corpus loader, saved safely, then indexed and answerable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.sources.ingest import load_corpus
from rag.sources.uploads import ADDED, ALREADY_THERE, REJECTED, UPLOAD_FOLDER, check_upload, safe_name, save_uploads

MB = 1024 * 1024

FERRY_MD = (b"---\ntitle: Ferry strike ends after six days\npublished: 2024-03-21\nsource: riverton-gazette\n"
            b"url: https://gazette.example/ferry\n---\n"
            b"The ferry workers' strike in Riverton ended on Thursday after six days, when the operator "
            b"agreed to a pay rise of 7 percent.\n")
HTML = (b"<html><head><title>Library reopens</title></head><body><article><h1>Library reopens</h1>"
        b"<p>The Riverton public library reopened on Monday after a year of repairs to its roof, "
        b"which was damaged in the storms of last winter.</p>"
        b"<p>The reading room now has 40 more seats and a new children's section, the librarian said.</p>"
        b"</article></body></html>")
JSONL = (json.dumps({"title": "Port fees rise", "published": "2024-03-22", "source": "coast-herald",
                     "text": "Port Aldine raised its harbour fees by 5 percent on Friday."}) + "\n"
         + json.dumps({"title": "Tram tests start", "published": "2024-03-23", "source": "riverton-gazette",
                       "text": "Test runs of the first tram began on Saturday night."}) + "\n").encode()

# Files the corpus loader skips, each for its own reason.
BROKEN: dict[str, bytes] = {
    "blank.md": b"  \n\n \n",
    "no-text.html": b"<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>",
    "garbage.jsonl": b"{not json\n[1, 2]\n{\"title\": \"no text here\"}\n",
    "unclosed.md": b"---\ntitle: Never closed\nThe body follows without a closing line.\n",
    "broken.json": b"{\"text\": ",
    "latin1.txt": "Caf\u00e9 cr\u00e8me prices rose again.".encode("latin-1"),
}


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_good_files_of_every_accepted_type_are_saved_and_read_like_corpus_files(tmp_path):
    corpus = tmp_path / "corpus"
    files = [("ferry.md", FERRY_MD), ("library.html", HTML), ("wire.jsonl", JSONL),
             ("note.txt", b"Council meeting moved\n\nThe council meeting moves to Wednesday next week.\n"),
             ("one.json", json.dumps({"title": "Bus fares frozen",
                                      "text": "Bus fares will not rise this year, the city said."}).encode())]

    report = save_uploads(corpus, files, 20 * MB)

    assert [u.status for u in report.uploads] == [ADDED] * 5
    assert [u.articles for u in report.uploads] == [1, 1, 2, 1, 1]
    assert files_in(corpus) == sorted(f"{UPLOAD_FOLDER}/{name}" for name, _ in files)  # no temp files left
    for (name, data), upload in zip(files, report.uploads, strict=True):
        assert upload.saved_as == f"uploads/{name}" and (corpus / upload.saved_as).read_bytes() == data
    articles, skipped = load_corpus(corpus)
    assert not skipped and len(articles) == 6
    assert {a.title for a in articles} >= {"Ferry strike ends after six days", "Library reopens", "Port fees rise"}
    assert report.summary() == "5 file(s) added, 0 already there, 0 rejected"


def test_a_wrong_type_or_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    assert check_upload("slides.pdf", 10, MB).startswith("unsupported file type .pdf; accepted: .txt, .md")
    assert check_upload("archive.jsonl.gz", 10, MB).startswith("unsupported file type .gz")
    assert check_upload("noext", 10, MB).startswith("unsupported file type (no extension)")
    assert check_upload("big.md", MB + 1, MB) == "larger than 1 MB"  # the loader's own wording
    assert check_upload("fine.MD", MB, MB) == ""

    report = save_uploads(tmp_path, [("slides.pdf", b"%PDF-1.7"), ("big.md", b"word " * 300),
                                     ("ferry.md", FERRY_MD)], max_bytes=1024)

    rejected = {u.name: u.reason for u in report.rejected}
    assert rejected["slides.pdf"].startswith("unsupported file type .pdf")
    assert rejected["big.md"] == "larger than 1 KB"
    assert [u.name for u in report.added] == ["ferry.md"]  # the good one still goes in
    assert files_in(tmp_path) == ["uploads/ferry.md"]


def test_broken_files_are_rejected_for_the_reasons_folder_ingestion_gives(tmp_path):
    folder = tmp_path / "folder"
    (folder / UPLOAD_FOLDER).mkdir(parents=True)
    for name, data in BROKEN.items():
        (folder / UPLOAD_FOLDER / name).write_bytes(data)
    articles, skipped = load_corpus(folder)
    assert not articles
    by_file: dict[str, list[tuple[str, str]]] = {}
    for s in skipped:
        name = s.origin.removeprefix(f"{UPLOAD_FOLDER}/")
        base = name.split(":")[0].split("[")[0]
        by_file.setdefault(base, []).append((name, s.reason))

    corpus = tmp_path / "corpus"
    report = save_uploads(corpus, list(BROKEN.items()), 20 * MB)

    assert [u.status for u in report.uploads] == [REJECTED] * len(BROKEN)
    assert not corpus.exists() or not files_in(corpus)  # nothing written
    for upload in report.uploads:
        assert [(s.origin, s.reason) for s in upload.skipped] == by_file[upload.name], upload.name
    reasons = {u.name: u.reason for u in report.uploads}
    assert reasons["blank.md"] == "empty file"
    assert reasons["no-text.html"] == "no article text found in the HTML"
    assert reasons["unclosed.md"] == "invalid front matter: no closing '---' line"
    assert reasons["broken.json"].startswith("invalid JSON")
    assert reasons["latin1.txt"] == "not UTF-8 text"
    # A JSON Lines file with no usable line: every line's reason, as folder ingestion reports them.
    assert reasons["garbage.jsonl"].startswith("no usable record (3 skipped: invalid JSON")
    assert "not a JSON object" in reasons["garbage.jsonl"] and "record has no text" in reasons["garbage.jsonl"]


def test_a_json_lines_file_with_some_bad_lines_goes_in_and_reports_them(tmp_path):
    data = JSONL + b"{oops\n"
    report = save_uploads(tmp_path, [("mixed.jsonl", data)], 20 * MB)
    [upload] = report.added
    assert upload.articles == 2
    assert [(s.origin, s.reason) for s in upload.skipped] == [
        ("mixed.jsonl:3", "invalid JSON: Expecting property name enclosed in double quotes")]
    assert (tmp_path / "uploads/mixed.jsonl").read_bytes() == data


@pytest.mark.parametrize("name, saved", [
    ("../../evil.md", "evil.md"),
    ("..\\..\\evil.txt", "evil.txt"),
    ("/etc/passwd.md", "passwd.md"),
    (".hidden.md", "hidden.md"),
    ("...md", "upload.md"),
    ("README.md", "README-upload.md"),  # the loader ignores README files
    ("Bridge report (final) v2.HTML", "Bridge-report-final-v2.html"),
    ("café notes.txt", "café-notes.txt"),
])
def test_names_are_made_safe(name, saved):
    assert safe_name(name) == saved


def test_an_upload_never_leaves_the_uploads_folder(tmp_path):
    corpus = tmp_path / "corpus"
    report = save_uploads(corpus, [("../../evil.md", FERRY_MD), (".hidden.md", HTML)], 20 * MB)
    assert [u.saved_as for u in report.added] == ["uploads/evil.md", "uploads/hidden.md"]
    assert files_in(tmp_path) == ["corpus/uploads/evil.md", "corpus/uploads/hidden.md"]
    assert len(load_corpus(corpus)[0]) == 2  # hidden names would be ignored by the loader


def test_same_name_other_content_gets_a_hash_suffix_and_identical_content_is_already_there(tmp_path):
    first = save_uploads(tmp_path, [("story.md", FERRY_MD)], 20 * MB)
    other = FERRY_MD.replace(b"7 percent", b"8 percent")
    second = save_uploads(tmp_path, [("story.md", other), ("story.md", FERRY_MD), ("copy.md", FERRY_MD)], 20 * MB)

    assert first.added[0].saved_as == "uploads/story.md"
    renamed, same, copy = second.uploads
    assert renamed.status == ADDED and renamed.saved_as.startswith("uploads/story-") \
        and renamed.saved_as.endswith(".md") and len(renamed.saved_as) == len("uploads/story-12345678.md")
    assert (tmp_path / renamed.saved_as).read_bytes() == other
    assert (tmp_path / "uploads/story.md").read_bytes() == FERRY_MD  # never overwritten
    # Identical content is not written again, under its name or another one.
    assert (same.status, same.saved_as) == (ALREADY_THERE, "uploads/story.md")
    assert (copy.status, copy.saved_as) == (ALREADY_THERE, "uploads/story.md")
    assert len(files_in(tmp_path)) == 2
    assert second.accepted and second.summary() == "1 file(s) added, 2 already there, 0 rejected"


def test_an_uploaded_article_is_indexed_and_answers_questions(indexed, settings):
    before = indexed.ask("How long did the ferry strike in Riverton last?")
    assert "six days" not in before.text

    report = save_uploads(settings.corpus_dir, [("ferry.md", FERRY_MD), ("blank.md", BROKEN["blank.md"])],
                          settings.max_file_mb * MB)
    assert [u.status for u in report.uploads] == [ADDED, REJECTED]
    index_report = indexed.reindex()

    assert len(index_report.added) == 1 and index_report.chunks_embedded == 1  # incremental: only the upload
    assert not index_report.skipped  # the rejected file was never written
    answer = indexed.ask("How long did the ferry strike in Riverton last?")
    assert not answer.refused and "six days" in answer.text
    cited = answer.citations[0]
    assert cited.title == "Ferry strike ends after six days" and cited.source == "riverton-gazette"
    assert indexed.manifests.read().articles[cited.article_id].origin == "uploads/ferry.md"
