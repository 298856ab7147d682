"""Search: hybrid retrieval over the live index, time windows, optional reranking."""
