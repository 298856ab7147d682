"""Near-duplicate articles (wire copies, updated republications), grouped once per reindex.

Each article gets a MinHash signature over the word 5-shingles of its text (lower-cased,
words only, so punctuation and layout do not matter). MinHash LSH finds the pairs whose
estimated Jaccard similarity reaches :data:`THRESHOLD`, the estimate from the signatures
confirms each pair, and union-find joins the pairs into groups, named by their smallest
article id. Signatures are saved with the generation's lexical index (``dedup.npz``) and
carried forward for articles whose version did not change, so a reindex only signs new and
updated articles; the groups (``groups.json``) are saved next to them and committed with the
generation. Retrieval then only needs a dictionary lookup per passage.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from ..core.fsutil import ARRAY_READS
from ..core.types import Chunk

log = logging.getLogger(__name__)

NUM_PERM = 128  # signature length: the estimate's standard error at J = 0.5 is sqrt(.25/128) ≈ 0.044
SHINGLE_WORDS = 5  # long enough that two articles on the same subject share few shingles, short
# enough that a changed word spoils only five of them
# Jaccard similarity of 5-shingles at which two articles are copies. In tests/test_dedup.py, wire
# copies (new headline, dateline, a paragraph cut, a sentence updated, attributions) share 0.59
# to 0.78 with the original and 0.46 to 0.73 with each other; other articles on the same strike
# share under 0.08, even one quoting a paragraph of it. 0.5 (below the ~0.6 first planned) keeps
# heavily edited copies, with a wide margin above distinct articles; copies that fall short of
# each other are still joined through the original by union-find.
THRESHOLD = 0.5
SEED = 1  # the permutations are part of the persisted format: never change without a version bump
FORMAT = 1  # bumped when the files below change meaning; older files are then rebuilt
SIGNATURES_FILE = "dedup.npz"
GROUPS_FILE = "groups.json"

_WORD = re.compile(r"\w+")


@functools.cache
def _template() -> MinHash:
    """The empty MinHash holding the permutations every signature shares (made on first use)."""
    return MinHash(num_perm=NUM_PERM, seed=SEED)


def words(text: str) -> list[str]:
    """The lower-cased words of a text (letters, digits and underscores)."""
    return _WORD.findall(text.lower())


def shingles(text: str, n: int = SHINGLE_WORDS) -> set[bytes]:
    """The text's word n-shingles, encoded for hashing (a shorter text is one shingle)."""
    ws = words(text)
    if len(ws) <= n:
        return {" ".join(ws).encode("utf-8")} if ws else set()
    return {" ".join(ws[i:i + n]).encode("utf-8") for i in range(len(ws) - n + 1)}


def signature(text: str) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` uint32 values) of a text's word 5-shingles."""
    m = _template().copy()
    m.update_batch(shingles(text))
    return m.digest()


def text_of(chunks: Iterable[Chunk]) -> str:
    """An article's text as far as words go, put back together from its overlapping chunks."""
    parts: list[str] = []
    end = None
    for c in sorted(chunks, key=lambda c: c.ordinal):
        if end is None or c.start >= end:
            # Chunks that do not overlap are separated by white space (or adjoin inside a long sentence).
            parts.append((" " if end is not None and c.start > end else "") + c.text)
        elif c.end > end:
            parts.append(c.text[end - c.start:])
        end = c.end if end is None else max(end, c.end)
    return "".join(parts)


@dataclass(frozen=True)
class Signatures:
    """One signature per live article version, in article id order."""

    ids: list[str]
    hashes: list[str]  # the content hash each signature was computed from
    values: np.ndarray  # (articles, NUM_PERM) uint32

    def known(self) -> dict[tuple[str, str], int]:
        """Row of each (article id, content hash)."""
        return {(a, h): i for i, (a, h) in enumerate(zip(self.ids, self.hashes))}

    def save(self, folder: Path) -> None:
        _write_atomic(folder / SIGNATURES_FILE, lambda fh: np.savez(
            fh, format=np.asarray(FORMAT), ids=np.asarray(self.ids, dtype=str),
            hashes=np.asarray(self.hashes, dtype=str), values=self.values))

    @classmethod
    def load(cls, folder: Path) -> Signatures | None:
        """The signatures saved in ``folder``, or None when there are none usable."""
        path = folder / SIGNATURES_FILE
        try:
            with ARRAY_READS, np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != FORMAT or data["values"].shape[1:] != (NUM_PERM,):
                    return None
                return cls([str(x) for x in data["ids"]], [str(x) for x in data["hashes"]],
                           data["values"].astype(np.uint32))
        except (OSError, KeyError, ValueError) as exc:
            if path.exists():
                log.warning("ignoring unreadable duplicate signatures in %s: %s", path, exc)
            return None


@dataclass(frozen=True)
class Groups:
    """Groups of two or more near-duplicate articles; an article in none is a group of its own."""

    members: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group id -> its articles, sorted
    group_of: dict[str, str] = field(default_factory=dict)  # article id -> group id (grouped ones only)

    @classmethod
    def of(cls, groups: Iterable[Iterable[str]]) -> Groups:
        """Groups from lists of article ids; singletons are left out, ids are the smallest member."""
        members = {}
        for g in groups:
            ids = tuple(sorted(set(g)))
            if len(ids) > 1:
                members[ids[0]] = ids
        return cls(members, {aid: gid for gid, ids in members.items() for aid in ids})

    def __len__(self) -> int:
        return len(self.members)

    def group(self, article_id: str) -> str:
        """The id of the article's group (its own id when it has no copies)."""
        return self.group_of.get(article_id, article_id)

    def copies(self, article_id: str) -> tuple[str, ...]:
        """The other articles of the article's group."""
        return tuple(a for a in self.members.get(self.group_of.get(article_id, ""), ()) if a != article_id)

    def save(self, folder: Path) -> None:
        data = {"format": FORMAT, "threshold": THRESHOLD, "num_perm": NUM_PERM,
                "shingle_words": SHINGLE_WORDS, "group_of": self.group_of,
                "groups": {gid: list(ids) for gid, ids in self.members.items()}}
        _write_atomic(folder / GROUPS_FILE,
                      lambda fh: fh.write(json.dumps(data, ensure_ascii=False).encode("utf-8")))

    @classmethod
    def load(cls, folder: Path) -> Groups | None:
        """The groups saved in ``folder``, or None when they are missing or from another format."""
        path = folder / GROUPS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("threshold") != THRESHOLD:
                return None
            return cls({gid: tuple(ids) for gid, ids in data["groups"].items()}, dict(data["group_of"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable duplicate groups in %s: %s", path, exc)
            return None


def _write_atomic(path: Path, write: Callable) -> None:
    """Write a file through a temporary one, so a reader never sees half of it."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def find_groups(sigs: Signatures, threshold: float = THRESHOLD) -> Groups:
    """Union-find over the pairs LSH proposes and the signatures confirm at ``threshold``."""
    if len(sigs.ids) < 2:
        return Groups()
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[int, MinHash] = {}
    template = _template()
    empty = template.digest()  # the signature of a text without words: never grouped
    for i, row in enumerate(sigs.values):
        if np.array_equal(row, empty):
            continue  # no words: nothing to compare
        hashes[i] = MinHash(seed=SEED, hashvalues=row, permutations=template.permutations,
                            scheme=template.scheme)
        lsh.insert(i, hashes[i], check_duplication=False)
    parent = list(range(len(sigs.ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, m in hashes.items():
        for j in lsh.query(m):
            if j > i and m.jaccard(hashes[j]) >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[str]] = {}
    for i, aid in enumerate(sigs.ids):
        groups.setdefault(root(i), []).append(aid)
    return Groups.of(groups.values())


def update_signatures(previous: Signatures | None, live: Mapping[str, str],
                      text: Callable[[str], str],
                      progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[Signatures, int]:
    """Signatures of the ``live`` articles (id -> content hash), reusing ``previous`` where the version is the same.

    ``text`` gives the text of an article that has to be signed. Returns the signatures and
    how many were computed.
    """
    ids = sorted(live)
    known = previous.known() if previous is not None else {}
    values = np.empty((len(ids), NUM_PERM), dtype=np.uint32)
    computed = 0
    for n, aid in enumerate(ids):
        row = known.get((aid, live[aid]))
        if row is not None:
            values[n] = previous.values[row]
        else:
            values[n] = signature(text(aid))
            computed += 1
        if n % 500 == 499:
            progress(n + 1, len(ids))
    progress(len(ids), len(ids))
    return Signatures(ids, [live[a] for a in ids], values), computed


def build(folder: Path, previous: Signatures | None, live: Mapping[str, str], text: Callable[[str], str],
          progress: Callable[[int, int], None] = lambda done, total: None) -> Groups:
    """Sign what is new, group everything, and save both in ``folder``."""
    sigs, computed = update_signatures(previous, live, text, progress)
    groups = find_groups(sigs)
    folder.mkdir(parents=True, exist_ok=True)
    sigs.save(folder)
    groups.save(folder)  # written last: its presence says the folder's dedup files are complete
    log.info("duplicate groups: %d signatures computed, %d reused, %d groups of copies",
             computed, len(sigs.ids) - computed, len(groups))
    return groups


def load(folder: Path) -> Groups | None:
    """The committed groups of a generation folder, or None when its dedup files are missing."""
    if not (folder / SIGNATURES_FILE).exists():
        return None
    return Groups.load(folder)


def build_from_chunks(folder: Path, chunks: Iterable[Chunk], live: Mapping[str, str]) -> Groups:
    """Sign and group the live articles from their chunks (for an index whose folder lacks the files)."""
    by_article: dict[str, list[Chunk]] = {}
    for c in chunks:
        if live.get(c.article_id) == c.doc_hash:
            by_article.setdefault(c.article_id, []).append(c)
    return build(folder, Signatures.load(folder), live, lambda aid: text_of(by_article.get(aid, ())))
