"""Token-bounded chunks that break at sentence and paragraph boundaries, with overlap."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.instructions import instruction_spans
from ..core.sentences import clip, mark
from ..core.text import split_sentences
from ..core.tokens import encoding
from ..core.types import Article, Chunk

# Break at a paragraph once a chunk is at least this full, rather than filling it to the brim.
_PARAGRAPH_FILL = 0.6


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    paragraph: bool  # starts a new paragraph


def _units(text: str, max_tokens: int) -> list[_Unit]:
    """Sentences with their token counts; a sentence longer than a chunk is cut into token windows."""
    enc = encoding()
    units: list[_Unit] = []
    prev_end = 0
    for start, end in split_sentences(text):
        gap = text[prev_end:start]
        paragraph = not units or "\n" in gap
        prev_end = end
        tokens = enc.encode_ordinary(text[start:end])
        if len(tokens) <= max_tokens:
            # Count the whitespace before the sentence too, so sums match the joined text.
            units.append(_Unit(start, end, len(enc.encode_ordinary(gap + text[start:end])), paragraph))
            continue
        _, offsets = enc.decode_with_offsets(tokens)
        for i in range(0, len(tokens), max_tokens):
            piece_start = start + offsets[i]
            piece_end = start + offsets[i + max_tokens] if i + max_tokens < len(tokens) else end
            units.append(_Unit(piece_start, piece_end, len(tokens[i:i + max_tokens]), paragraph and i == 0))
    return units


def _is_heading(line: str) -> bool:
    """A short line without closing punctuation, like "Decade of Conflict Intensifies"."""
    return len(line) <= 100 and not line.rstrip().endswith((".", "!", "?", ":", '"', "\u201d", "'"))


def _pack(text: str, units: list[_Unit], max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of unit ranges [i, j) into chunks, with trailing units repeated as overlap."""
    enc = encoding()
    ranges: list[tuple[int, int]] = []
    i, n = 0, len(units)
    while i < n:
        j, total = i, 0
        while j < n and (j == i or total + units[j].tokens <= max_tokens):
            total += units[j].tokens
            j += 1
        if j < n:  # not the last chunk: prefer to end where a paragraph ends
            filled = 0
            best = None
            for k in range(i, j):
                if k > i and units[k].paragraph and filled >= _PARAGRAPH_FILL * max_tokens:
                    best = k
                filled += units[k].tokens
            if best is not None:
                j = best
        if j < n and j - i > 1 and _is_heading(text[units[j - 1].start:units[j - 1].end]):
            j -= 1  # a heading belongs with the paragraph it introduces
        # Unit counts are close to, not exactly, the joined text's: check, and give back units.
        while j - i > 1 and len(enc.encode_ordinary(text[units[i].start:units[j - 1].end])) > max_tokens:
            j -= 1
        ranges.append((i, j))
        if j >= n:
            break
        k, carried = j, 0
        while k - 1 > i and carried + units[k - 1].tokens <= overlap:
            k -= 1
            carried += units[k].tokens
        i = k
    return ranges


def chunk_id(article_id: str, doc_hash: str, ordinal: int) -> str:
    """Chunk ids name the article version, so a changed article never overwrites live chunks."""
    return f"{article_id}:{doc_hash[:8]}:{ordinal}"


def article_of(chunk_id: str) -> str:
    """The article id in a chunk id made by :func:`chunk_id` (``article:hash:ordinal``)."""
    return chunk_id.rsplit(":", 2)[0]


def chunk_article(article: Article, max_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    """Split an article into chunks of at most ``max_tokens`` cl100k_base tokens."""
    text = article.text
    units = _units(text, max_tokens)
    marks = mark(text, instruction_spans(text))
    chunks: list[Chunk] = []
    for ordinal, (i, j) in enumerate(_pack(text, units, max_tokens, overlap)):
        start, end = units[i].start, units[j - 1].end
        chunks.append(
            Chunk(
                id=chunk_id(article.id, article.content_hash, ordinal),
                article_id=article.id,
                doc_hash=article.content_hash,
                ordinal=ordinal,
                start=start,
                end=end,
                text=text[start:end],
                title=article.title,
                source=article.source,
                url=article.url,
                published=article.published,
                sentences=clip(marks, start, end),
            )
        )
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What the embedding model reads for a chunk: its article's title, then the chunk."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text
