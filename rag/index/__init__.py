"""Indexing: sentences marked, chunks, embeddings, the Chroma store, BM25, duplicates, the manifest, reindexing."""
