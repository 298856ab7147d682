"""Learning to rank the fused candidates from their features (LightGBM's lambdarank).

Questions are the groups; a candidate that holds the answer is relevant. Questions without a
relevant candidate among their first ``depth`` teach a ranking nothing and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .candidates import Candidates


@dataclass(frozen=True)
class RankerConfig:
    depth: int = 30
    trees: int = 300
    leaves: int = 15
    learning_rate: float = 0.03
    min_data_in_leaf: int = 40
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    seed: int = 13


def matrix(items: Sequence[Candidates], depth: int, extra: Sequence[np.ndarray] | None = None,
           only_relevant: bool = True) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Stacked features (with ``extra`` columns per question appended), labels and group sizes."""
    xs, ys, groups = [], [], []
    for i, c in enumerate(items):
        d = min(depth, len(c.ids))
        y = c.labels[:d]
        if d == 0 or (only_relevant and not y.any()):
            continue
        x = c.features[:d]
        if extra is not None:
            x = np.hstack([x, extra[i][:d].reshape(d, -1)])
        xs.append(x)
        ys.append(y)
        groups.append(d)
    if not xs:
        raise ValueError("no question has a candidate holding its answer: nothing to learn from")
    return np.vstack(xs), np.concatenate(ys), groups


def train(items: Sequence[Candidates], config: RankerConfig, names: Sequence[str],
          extra: Sequence[np.ndarray] | None = None):
    """A LightGBM lambdarank booster over the candidates' features."""
    import lightgbm as lgb

    x, y, groups = matrix(items, config.depth, extra)
    params = {
        "objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [5, 10],
        "lambdarank_truncation_level": 20, "num_leaves": config.leaves,
        "learning_rate": config.learning_rate, "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction, "bagging_fraction": config.bagging_fraction,
        "bagging_freq": 1, "lambda_l2": config.lambda_l2, "seed": config.seed, "deterministic": True,
        "force_row_wise": True, "num_threads": 2, "verbosity": -1,
    }
    data = lgb.Dataset(x, y, group=groups, feature_name=list(names), free_raw_data=False)
    return lgb.train(params, data, num_boost_round=config.trees)


def scores(booster, items: Sequence[Candidates], depth: int,
           extra: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """The booster's score for each question's first ``depth`` candidates."""
    out = []
    for i, c in enumerate(items):
        d = min(depth, len(c.ids))
        x = c.features[:d]
        if extra is not None:
            x = np.hstack([x, extra[i][:d].reshape(d, -1)])
        out.append(booster.predict(x) if d else np.zeros(0))
    return out


def describe(config: RankerConfig) -> dict:
    return asdict(config)
