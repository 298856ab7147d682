"""A benchmark report people can look at: report.md with PNG plots, written into one folder.

Plots: recall@k for k = 1..20 per pipeline, a histogram of search latency, and indexing
throughput against the tutorial pipeline (from the rows, or from a ``throughput`` run).
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def _short(name: str) -> str:
    """A legend label: the parts that tell the rows apart."""
    name = name.replace("hybrid, extractive, ", "").replace("hybrid, extractive", "hybrid")
    return name if len(name) <= 48 else name[:45] + "..."


def plot_recall(rows: list[dict], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in rows:
        curve = r["recall_curve"]
        ax.plot(range(1, len(curve) + 1), [100 * v for v in curve], marker=".", label=_short(r["pipeline"]))
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("answer recall@k (%)")
    ax.set_xticks(range(1, 21, 2))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, ax, "Answer recall@k", out)


def plot_latency(rows: list[dict], out: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in rows:
        if r.get("search_ms"):
            ax.hist(r["search_ms"], bins=40, alpha=0.5, label=_short(r["pipeline"]))
    ax.set_xlabel("search latency (ms)")
    ax.set_ylabel("questions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, ax, "Search latency per question", out)


def plot_throughput(rows: list[dict], out: Path) -> None:
    measured = [r for r in rows if r.get("chunks_per_s")]
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.7 * max(1, len(measured))))
    names = [_short(r["pipeline"]) for r in measured]
    values = [r["chunks_per_s"] for r in measured]
    bars = ax.barh(names, values, color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], padding=3, fontsize=8)
    ax.set_xlim(0, max(values, default=1) * 1.15)  # room for the labels
    ax.set_xlabel("chunks per second")
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    _save(fig, ax, "Indexing throughput", out)


def _save(fig, ax, title: str, out: Path) -> None:
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _num(v, fmt: str = "{:.1f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def _rounds(values: list[float] | None, unit: str) -> str:
    if not values or len(values) < 2:
        return ""
    return " (" + ", ".join(f"{v:.2f}{unit}" if unit else f"{v:.1f}" for v in values) + ")"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def write_report(folder: Path, rows: list[dict], command: str = "",
                 throughput: list[dict] | None = None) -> Path:
    """Write report.md, recall_at_k.png, latency.png and throughput.png (when measured) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Benchmark report", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M %Z')} on {platform.machine()}, "
             f"{_cpu()}; command: `{command}`", ""]
    if rows:
        plot_recall(rows, folder / "recall_at_k.png")
        plot_latency(rows, folder / "latency.png")
        lines += ["## Retrieval and answers", "",
                  "| pipeline | embedding | chunks | recall@1 | recall@5 | recall@10 | recall@20 | MRR@10 "
                  "| accuracy | refusals | search p50/p95 ms |",
                  "|" + "---|" * 11]
        for r in rows:
            c = r["recall_curve"]
            lines.append(
                f"| {r['pipeline']} | {r.get('embedding', '')} | {r['chunks']} | {_pct(c[0])} | {_pct(c[4])} "
                f"| {_pct(c[9])} | {_pct(c[-1])} | {r['mrr@10']:.3f} | {_pct(r['accuracy'])} "
                f"| {_pct(r['refusal_rate'])} | {_num(r['search_p50_ms'])} / {_num(r['search_p95_ms'])} |")
        timed = [r for r in rows if "timed_recall@5" in r]
        if timed:
            lines += ["", f"Questions with relative time (\"this week\", ...): {timed[0]['timed_questions']} "
                          f"of {timed[0]['questions']}.", "",
                      "| pipeline | recall@5 with relative time | recall@5 other questions |", "|---|---|---|"]
            lines += [f"| {r['pipeline']} | {_pct(r['timed_recall@5'])} | {_pct(r['untimed_recall@5'])} |"
                      for r in timed]
        lines += ["", "![recall@k](recall_at_k.png)", "", "![search latency](latency.png)", ""]
    speed = throughput or [r for r in rows if r.get("chunks_per_s")]
    if speed:
        plot_throughput(speed, folder / "throughput.png")
        lines += ["## Indexing throughput", ""]
        if speed[0].get("rounds", 1) > 1:
            lines += [f"Each pipeline ran {speed[0]['rounds']} times, in turn; medians, with every round's "
                      "figure in brackets. The ratio is taken round by round.", ""]
        lines += ["| pipeline | chunks | chunks/s | articles/s | vs tutorial |", "|---|---|---|---|---|"]
        lines += [f"| {r['pipeline']} | {r.get('chunks_embedded', r.get('chunks'))} | {_num(r['chunks_per_s'])}"
                  f"{_rounds(r.get('chunks_per_s_rounds'), '')} | {_num(r.get('articles_per_s'), '{:.2f}')} "
                  f"| {_ratio(r.get('vs_tutorial'))}{_rounds(r.get('vs_tutorial_rounds'), 'x')} |" for r in speed]
        if any(r.get("ceiling") for r in speed):
            lines += ["", "The \"model alone\" row embeds the same chunk texts as the indexing job, in its "
                      "batches, with nothing read, chunked or written while timed: the ceiling for the job."]
        lines += ["", "![throughput](throughput.png)", ""]
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "rows.json").write_text(json.dumps({"rows": rows, "throughput": throughput}, indent=1, default=str))
    return folder / "report.md"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                import os

                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
