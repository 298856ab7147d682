"""Training of the built-in models (tools: no stage imports this package)."""


def main(argv: list[str]) -> int:
    """`python -m rag.learn reranker ...` or `python -m rag.learn answers ...`."""
    if argv[:1] == ["answers"]:
        from .answers import main as answers

        return answers(argv[1:])
    from .command import main as reranker

    return reranker(argv)
