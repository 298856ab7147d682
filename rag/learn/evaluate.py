"""Ranking figures of cached candidates under a scoring: recall@5, recall@10 and MRR@10, as the bench counts them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .candidates import Candidates


def reorder(labels: np.ndarray, scores: np.ndarray | None, depth: int) -> np.ndarray:
    """The labels with the first ``depth`` candidates sorted by ``scores`` (ties keep the fused order)."""
    if scores is None:
        return labels
    d = min(depth, len(labels), len(scores))
    order = np.argsort(-scores[:d], kind="stable")
    return np.concatenate([labels[:d][order], labels[d:]])


def first_hit(labels: np.ndarray) -> int | None:
    """1-based rank of the first candidate holding the answer, or None."""
    hits = np.flatnonzero(labels > 0)
    return int(hits[0]) + 1 if len(hits) else None


def figures(items: Sequence[Candidates], scores: Sequence[np.ndarray | None] | None = None,
            depth: int = 30) -> dict[str, float]:
    """recall@5, recall@10, MRR@10 and the share with the answer anywhere in the candidates."""
    ranks = []
    for i, c in enumerate(items):
        s = scores[i] if scores is not None else None
        ranks.append(first_hit(reorder(c.labels, s, depth)))
    n = len(ranks) or 1
    return {
        "questions": len(ranks),
        "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "recall@10": sum(r is not None and r <= 10 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        f"recall@{depth}": sum(r is not None and r <= depth for r in ranks) / n,
    }


def row(label: str, f: dict[str, float]) -> str:
    return (f"| {label} | {f['questions']} | {100 * f['recall@5']:.1f}% | {100 * f['recall@10']:.1f}% "
            f"| {f['mrr@10']:.3f} |")
