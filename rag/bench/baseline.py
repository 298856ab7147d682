"""The plain pipeline of the LangChain tutorials, the figure to beat.

RecursiveCharacterTextSplitter(1000, 200) over the article texts, a Chroma vector store
through langchain-chroma, the same all-MiniLM-L6-v2, and top-k similarity search.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from pathlib import Path

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

log = logging.getLogger(__name__)


def _documents(articles: Path) -> list[Document]:
    opener = gzip.open if articles.suffix == ".gz" else open
    docs = []
    with opener(articles, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                docs.append(Document(page_content=d["text"], metadata={"title": d.get("title") or ""}))
    return docs


class TutorialPipeline:
    def __init__(self, folder: Path, embeddings: Embeddings) -> None:
        self._folder = folder
        self._store = Chroma(collection_name="tutorial", embedding_function=embeddings,
                             persist_directory=str(folder))

    def index(self, articles: Path, progress=None) -> tuple[int, float]:
        """Split and embed the articles; returns (chunks embedded, seconds). Reuses a finished index."""
        done = self._folder / "DONE"
        if done.exists():
            log.info("tutorial index reused (%s chunks)", done.read_text())
            return 0, 0.0
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = splitter.split_documents(_documents(articles))
        # Deterministic ids make an interrupted run resumable: whole batches already stored are kept.
        batch = 256
        resume = self._store._collection.count() // batch * batch
        started = time.perf_counter()
        for i in range(resume, len(chunks), batch):
            part = chunks[i:i + batch]
            self._store.add_documents(part, ids=[f"chunk-{i + j}" for j in range(len(part))])
            if progress:
                progress("tutorial embedding", min(i + batch, len(chunks)), len(chunks))
        seconds = time.perf_counter() - started
        done.write_text(str(len(chunks)))
        return len(chunks) - resume, seconds

    def count(self) -> int:
        return self._store._collection.count()

    def search(self, question: str, k: int) -> list[str]:
        return [d.page_content for d in self._store.similarity_search(question, k=k)]
