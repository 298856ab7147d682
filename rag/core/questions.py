"""Questions (and topics) as the service accepts them: white space folded, within the token limit."""

from __future__ import annotations

import re

from .errors import QuestionError
from .tokens import count_tokens

_SURROGATES = re.compile("[\ud800-\udfff]")


class CheckedQuestion(str):
    """A question :func:`check_question` accepted; passed back to the service, it is not checked again."""


def check_question(question: str, max_tokens: int) -> CheckedQuestion:
    """The question, stripped, or a QuestionError saying what is wrong with it."""
    q = " ".join(_SURROGATES.sub("\ufffd", question).split())  # undecodable bytes (argv, stdin)
    if not q:
        raise QuestionError("the question is empty")
    n = count_tokens(q)
    if n > max_tokens:
        raise QuestionError(f"the question is {n} tokens long; the limit is {max_tokens}")
    return CheckedQuestion(q)
