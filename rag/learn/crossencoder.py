"""Fine-tuning a cross-encoder from the packaged all-MiniLM-L6-v2 weights, on the CPU.

The model is a BERT sequence classifier (one relevance logit) whose encoder starts from the
packaged sentence-embedding model; its word-piece embeddings stay frozen (they are most of the
parameters and are read back from the package when the model is built for serving), so what
training changes, and what ships, is the transformer layers and the head.

Each step scores ``groups_per_step`` questions, each with one passage that holds the answer and
``group_size - 1`` candidates of its own search that do not, and minimises the softmax cross
entropy of the positive within its group (a listwise loss over hard negatives: Gao et al.,
"Rethink Training of BERT Rerankers in Multi-Stage Retrieval Pipelines", 2021). Sampling draws
from a generator seeded by (seed, step), so a run stopped and resumed from its checkpoint takes
the same steps as one that never stopped.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .candidates import Candidates

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class CrossEncoderConfig:
    steps: int = 4500
    group_size: int = 8  # one positive and this many less one negatives per question
    groups_per_step: int = 2
    max_length: int = 176
    learning_rate: float = 1e-4
    warmup: float = 0.06  # share of the steps the learning rate rises over
    weight_decay: float = 0.01
    hard_depth: int = 30  # negatives are drawn from the question's best candidates to this depth
    pooling: str = "mean"  # "cls" (BERT's pooler) or "mean" (the tokens' mean, as the sentence model pools)
    seed: int = 13
    checkpoint_every: int = 50


@dataclass(frozen=True)
class Group:
    """A question with the passages that hold its answer and those that do not."""

    question: str
    positives: tuple[str, ...]
    negatives: tuple[str, ...]


def groups_of(items: Sequence[Candidates], hard_depth: int) -> list[Group]:
    """Training groups: questions with at least one positive and enough negatives among their candidates."""
    out = []
    for c in items:
        pos = tuple(t for t, y in zip(c.texts, c.labels) if y > 0)
        neg = tuple(t for t, y in zip(c.texts[:hard_depth], c.labels[:hard_depth]) if y <= 0)
        if pos and len(neg) >= 3:
            out.append(Group(c.question, pos, neg))
    return out


def _torch():
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return torch


def _sample(groups: Sequence[Group], config: CrossEncoderConfig, step: int) -> list[tuple[str, list[str]]]:
    """The (question, [positive, negatives...]) of one step; the same for the same seed and step."""
    rng = np.random.default_rng([config.seed, step])
    picked = rng.choice(len(groups), size=config.groups_per_step, replace=False)
    out = []
    for gi in picked:
        g = groups[int(gi)]
        pos = g.positives[int(rng.integers(len(g.positives)))]
        k = min(config.group_size - 1, len(g.negatives))
        neg = [g.negatives[int(i)] for i in rng.choice(len(g.negatives), size=k, replace=False)]
        out.append((g.question, [pos, *neg]))
    return out


def load_model(source: Path, pooling: str):
    """The pair scorer whose encoder is the packaged model's (word-piece embeddings frozen), and its tokenizer."""
    _torch()
    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as hf_logging

    from ..search.crossencoder import pair_scorer

    hf_logging.set_verbosity_error()
    model = pair_scorer(BertModel.from_pretrained(str(source)), pooling)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model, AutoTokenizer.from_pretrained(str(source))


def train(groups: Sequence[Group], source: Path, out: Path, config: CrossEncoderConfig,
          progress: Callable[[str, int, int], None] = lambda *a: None) -> Path:
    """Train the model, checkpointing into ``out/checkpoint.pt`` (and resuming from it); returns that file."""
    torch = _torch()
    if len(groups) < config.groups_per_step:
        raise ValueError(f"{len(groups)} training questions with a positive passage; need at least "
                         f"{config.groups_per_step}")
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    model, tokenizer = load_model(source, config.pooling)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=config.learning_rate)
    warmup = max(1, int(config.warmup * config.steps))

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (config.steps - step) / max(1, config.steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    start, losses = 0, []
    ckpt = out / CHECKPOINT
    if ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["config"] == asdict(config):
            model.load_state_dict(state["model"], strict=False)
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            start, losses = state["step"], state["losses"]
            log.info("resuming the cross-encoder's training at step %d of %d", start, config.steps)
        else:
            log.warning("%s was made with other settings; starting over", ckpt)
    model.train()
    started = time.perf_counter()
    for step in range(start, config.steps):
        batch = _sample(groups, config, step)
        queries = [q for q, texts in batch for _ in texts]
        texts = [t for _, ts in batch for t in ts]
        enc = tokenizer(queries, texts, truncation="only_second", max_length=config.max_length,
                        padding=True, return_tensors="pt")
        logits = model(**enc)
        # Groups may be smaller than group_size (a question with few negatives): one loss each.
        sizes = [len(ts) for _, ts in batch]
        loss = torch.stack([torch.nn.functional.cross_entropy(part.view(1, -1), torch.zeros(1, dtype=torch.long))
                            for part in torch.split(logits, sizes)]).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        done = step + 1
        progress("training the cross-encoder", done, config.steps)
        if done % config.checkpoint_every == 0 or done == config.steps:
            trained = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
            torch.save({"config": asdict(config), "step": done, "losses": losses, "model": trained,
                        "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                       str(ckpt) + ".part")
            os.replace(str(ckpt) + ".part", ckpt)
    elapsed = time.perf_counter() - started
    tail = losses[-100:]
    (out / "training.json").write_text(json.dumps({
        "config": asdict(config), "groups": len(groups), "seconds_this_run": round(elapsed, 1),
        "loss_first_100": round(float(np.mean(losses[:100])), 4) if losses else None,
        "loss_last_100": round(float(np.mean(tail)), 4) if tail else None,
        "chance_loss": round(math.log(config.group_size), 4)}, indent=2) + "\n")
    return ckpt
