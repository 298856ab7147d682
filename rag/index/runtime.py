"""The environment the local embedding model's libraries read as they load, set once by each entry point."""

from __future__ import annotations

import os

__all__ = ["cpu_isa_environment", "model_environment", "use_model_environment"]


def model_environment(runtime: str) -> dict[str, str]:
    """The environment variables the packaged model's libraries read as they load, for ``runtime``.

    The entry points (the CLI, the bot, the benches, ``python -m rag.index.quantized``) set them
    once, before anything loads a model: see :func:`use_model_environment`.
    """
    env = {"HF_HUB_OFFLINE": "1"}  # the packaged model is never looked up on a hub
    if runtime == "ct2-int8":
        env.update(cpu_isa_environment())
    else:
        env["TOKENIZERS_PARALLELISM"] = "false"
    return env


def use_model_environment(runtime: str, environ=os.environ) -> None:
    """Set the variables :func:`model_environment` names that are not set already (at an entry point)."""
    for key, value in model_environment(runtime).items():
        environ.setdefault(key, value)


def cpu_isa_environment() -> dict[str, str]:
    """``CT2_FORCE_CPU_ISA=AVX512`` where the CPU has AVX-512, else nothing.

    CTranslate2 picks AVX2 on AMD CPUs even when they have AVX-512; on this project's reference
    machine (AMD EPYC with AVX-512 VNNI) AVX-512 embeds about 20% faster. It must be set before
    ctranslate2 is imported, so the entry points set it (:func:`model_environment`);
    an explicit CT2_FORCE_CPU_ISA is left alone.
    """
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return {}
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= set(flags):
        return {"CT2_FORCE_CPU_ISA": "AVX512"}
    return {}
