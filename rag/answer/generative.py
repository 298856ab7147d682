"""Written answers: a tool-calling agent or a single retrieve-then-answer pass, then verification.

Whatever goes wrong with the model (timeout, rate limit, malformed tool call, provider
error, an answer that cannot be verified) ends in the extractive answer with a one-line
notice, never in an exception or a hang past the timeout.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import StructuredTool

from .extractive import ExtractiveAnswerer, refusal
from .context import Numbered, PassageBook, fit, render, render_one
from .llm import LLMUnavailable, ModelCalls
from .prompts import Prompts
from ..core.settings import Settings
from ..core.tokens import count_tokens
from ..core.types import Answer, Citation, Filters, Passage, Turn
from .verify import Claim, Verifier

log = logging.getLogger(__name__)

NOT_COVERED = "NOT_COVERED"
MAX_SENTENCES = 4
MAX_SUMMARY_SENTENCES = 6
UNVERIFIED = "(unverified)"
_MARGIN = 64  # tokens kept free for message framing

Search = Callable[[str, Filters, int], list[Passage]]


def _search_tool() -> StructuredTool:
    def search(query: str, source: str | None = None, since: str | None = None,
               until: str | None = None) -> str:
        """Search the news archive. Dates are YYYY-MM-DD; source is an outlet name."""
        raise NotImplementedError  # executed by the agent loop, which owns the filters

    return StructuredTool.from_function(search, name="search")


def _narrow(filters: Filters, args: dict) -> Filters:
    """The user's filters, narrowed (never widened) by the model's search arguments."""
    def day(key: str) -> date | None:
        value = args.get(key)
        if not value:
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise LLMUnavailable(f"the model asked for a bad date {value!r}") from None

    since, until = day("since"), day("until")
    source = str(args.get("source") or "").strip()
    return Filters(
        sources=filters.sources or ((source,) if source else ()),
        since=max(d for d in (filters.since, since) if d) if (filters.since or since) else None,
        until=min(d for d in (filters.until, until) if d) if (filters.until or until) else None,
        as_of=filters.as_of,
    )


class GenerativeAnswerer:
    """Answers with a chat model, cites, verifies, and falls back to extractive answers."""

    def __init__(self, model: BaseChatModel, prompts: Prompts, settings: Settings, search: Search,
                 extractive: ExtractiveAnswerer, verifier: Verifier, calls: ModelCalls) -> None:
        self._model = model
        self._calls = calls
        self._prompts = prompts
        self._settings = settings
        self._search = search
        self._extractive = extractive
        self._verifier = verifier

    @property
    def uses_tools(self) -> bool:
        mode = self._settings.llm_tool_calling
        if mode != "auto":
            return mode == "on"
        # Hosted APIs call tools reliably; local OpenAI-compatible servers often do not.
        return self._settings.llm_provider in ("anthropic",) or (
            self._settings.llm_provider == "openai" and not self._settings.llm_base_url)

    def answer(self, question: str, filters: Filters, deadline: float | None = None) -> Answer:
        """The written answer, or an extractive one when the model fails or misses ``deadline``.

        ``deadline`` (``time.monotonic()``; default: LLM_TIMEOUT from now) bounds every model
        call made for this answer, including those of a re-run for the same question.
        """
        deadline = deadline if deadline is not None else time.monotonic() + self._settings.llm_timeout
        book = PassageBook()
        passages: list[Passage] | None = None
        try:
            if self.uses_tools:
                text = self._agent(question, filters, book, deadline)
            else:
                # One search serves both the model (the best few) and a fallback (all of them).
                passages = self._search(question, filters, max(self._settings.top_k, 8))
                shown = passages[:self._settings.top_k + 1]
                scored = self._extractive.evidence(question, shown, short_lines=True)  # embedded once
                if not self._extractive.covers(scored):
                    return refusal(question)
                text = self._single_pass(question, shown, book, deadline, self._extractive.hints(question, scored))
        except LLMUnavailable as exc:
            return self._fallback(question, filters, f"{exc}; showing an extractive answer instead", passages)
        return self._finish(question, filters, text, book, passages)

    # The two ways of producing text

    def _budget(self, *fixed: str) -> int:
        used = sum(count_tokens(t) for t in fixed)
        return self._settings.llm_context_tokens - used - self._settings.llm_max_output_tokens - _MARGIN

    def _single_pass(self, question: str, passages: Sequence[Passage], book: PassageBook,
                     deadline: float, hints: str = "") -> str:
        system = self._prompts.render("answer_system", max_sentences=MAX_SENTENCES)
        frame = self._prompts.render("answer_user", passages="", question=question, hints=hints)
        items = fit(book.add(passages), self._budget(system, frame))
        book.shown(items)
        messages = [SystemMessage(system),
                    HumanMessage(self._prompts.render("answer_user", passages=render(items), question=question,
                                                      hints=hints))]
        reply = self._invoke(self._model, messages, deadline)
        return _text(reply)

    def _agent(self, question: str, filters: Filters, book: PassageBook, deadline: float) -> str:
        system = self._prompts.render("agent_system", max_searches=self._settings.llm_max_searches,
                                      max_sentences=MAX_SENTENCES)
        per_search = max(200, self._budget(system, question) // self._settings.llm_max_searches)
        try:
            model = self._model.bind_tools([_search_tool()])
        except NotImplementedError:
            raise LLMUnavailable("the model does not support tool calling") from None
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(question)]
        searches = 0
        for _ in range(self._settings.llm_max_searches + 1):
            reply = self._invoke(model, messages, deadline)
            if getattr(reply, "invalid_tool_calls", None):
                raise LLMUnavailable("the model made a malformed tool call")
            messages.append(reply)
            if not reply.tool_calls:
                return _text(reply)
            for call in reply.tool_calls:
                if call.get("name") != "search" or not str(call.get("args", {}).get("query", "")).strip():
                    raise LLMUnavailable("the model made a malformed tool call")
                if searches >= self._settings.llm_max_searches:
                    content = "Search limit reached. Answer now from the results you have, or NOT_COVERED."
                else:
                    searches += 1
                    found = self._search(call["args"]["query"], _narrow(filters, call["args"]), self._settings.top_k)
                    items = fit(book.add(found), per_search)
                    book.shown(items)
                    content = render(items) if items else "No results."
                messages.append(ToolMessage(content, tool_call_id=call["id"]))
        # Out of rounds: ask once more, for an answer this time.
        reply = self._invoke(self._model, messages + [HumanMessage("Answer now.")], deadline)
        if reply.tool_calls:
            raise LLMUnavailable("the model kept searching instead of answering")
        return _text(reply)

    def _invoke(self, model, messages: list[BaseMessage], deadline: float) -> AIMessage:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LLMUnavailable(f"the language model did not answer within {self._settings.llm_timeout:g}s")
        reply = self._calls.call(lambda: model.invoke(messages), remaining, self._settings.llm_timeout)
        if not isinstance(reply, AIMessage):
            raise LLMUnavailable("the language model returned no message")
        return reply

    # Turning text into a checked answer

    def _finish(self, question: str, filters: Filters, text: str, book: PassageBook,
                passages: Sequence[Passage] | None = None) -> Answer:
        if NOT_COVERED in text or not text.strip():
            return refusal(question)
        short, text = _short_answer(text)
        claims = self._verifier.check(text, book)
        kept = [c for c in claims if c.supported]
        flag = self._settings.unsupported_sentences == "flag"
        counts = {"written": len(claims), "rejected": len(claims) - len(kept)}
        if not kept:
            fallback = self._fallback(question, filters, "the written answer could not be verified against "
                                      "the sources; showing an extractive answer instead", passages)
            return replace(fallback, **counts)
        shown = claims if flag else kept
        answer = _with_short(replace(_compose(question, shown, book), **counts), short)
        dropped = len(claims) - len(kept)
        if dropped and not flag:
            answer = replace(answer, notice=f"{dropped} unsupported sentence(s) removed")
        log.info("generative answer: %d sentences, %d supported", len(claims), len(kept))
        return answer

    # Follow-ups

    def condense(self, history: Sequence[Turn], followup: str, rule: Callable[[], str]) -> str:
        """The follow-up rewritten by the model as a standalone question; ``rule()`` if that fails."""
        if not history:
            return followup
        transcript = "\n".join(f"User: {t.question}\nAssistant: {t.answer}" for t in history[-3:])
        prompt = self._prompts.render("condense", history=transcript, question=followup)
        try:
            reply = self._invoke(self._model, [HumanMessage(prompt)], time.monotonic() + self._settings.llm_timeout)
        except LLMUnavailable as exc:
            log.info("condensing with the rule instead: %s", exc)
            return rule()
        text = " ".join(_text(reply).split()).strip("\"' ")
        if not text or NOT_COVERED in text or count_tokens(text) > self._settings.max_question_tokens:
            return rule()
        return text

    # Summaries

    def summarize(self, subject: str, groups: Sequence[Sequence[Passage]], topic: bool,
                  fallback: Callable[[], Answer]) -> Answer:
        """A written summary of passage groups (an article's chunks, or one group per article).

        Each group is summarised on its own (map) when there is more than one, or when a group
        does not fit the context; the cited partial summaries are then combined (reduce).
        Every sentence is verified like an answer's.
        """
        deadline = time.monotonic() + self._settings.llm_timeout
        book = PassageBook()
        try:
            numbered = [book.add(g) for g in groups]
            name = "summarize_topic" if topic else "summarize_article"
            key = "topic" if topic else "title"
            frame = self._prompts.render(name, passages="", max_sentences=MAX_SUMMARY_SENTENCES, **{key: subject})
            budget = self._budget(frame)
            parts = [part for items in numbered for part in _packs(items, budget)]
            notes = [self._summarize_part(name, key, subject, part, book, deadline) for part in parts]
            if len(notes) == 1:
                text = notes[0]
            else:
                verified = [c for note in notes for c in self._verifier.check(note, book) if c.supported]
                if not verified:
                    raise LLMUnavailable("no part of the written summary could be verified")
                lines = "\n".join(f"- {c.text} " + "".join(f"[{n}]" for n in c.cites) for c in verified)
                prompt = self._prompts.render("summarize_reduce", notes=lines, subject=subject,
                                              max_sentences=MAX_SUMMARY_SENTENCES)
                text = _text(self._invoke(self._model, [HumanMessage(prompt)], deadline))
        except LLMUnavailable as exc:
            return replace(fallback(), notice=f"{str(exc)[:1].upper()}{str(exc)[1:]}; showing an extractive summary")
        claims = self._verifier.check(text, book)
        kept = [c for c in claims if c.supported]
        counts = {"written": len(claims), "rejected": len(claims) - len(kept)}
        if not kept:
            return replace(fallback(), notice="The written summary could not be verified against the "
                           "sources; showing an extractive summary", **counts)
        shown = claims if self._settings.unsupported_sentences == "flag" else kept
        answer = replace(_compose(subject, shown, book), **counts)
        if counts["rejected"] and self._settings.unsupported_sentences == "drop":
            answer = replace(answer, notice=f"{counts['rejected']} unsupported sentence(s) removed")
        return answer

    def _summarize_part(self, name: str, key: str, subject: str, items: list[Numbered], book: PassageBook,
                        deadline: float) -> str:
        book.shown(items)
        prompt = self._prompts.render(name, passages=render(items), max_sentences=MAX_SUMMARY_SENTENCES,
                                      **{key: subject})
        return _text(self._invoke(self._model, [HumanMessage(prompt)], deadline))

    def _fallback(self, question: str, filters: Filters, notice: str,
                  passages: Sequence[Passage] | None = None) -> Answer:
        log.info("falling back to an extractive answer: %s", notice)
        if passages is None:
            passages = self._search(question, filters, max(self._settings.top_k, 8))
        answer = self._extractive.answer(question, passages)
        return replace(answer, notice=notice[:1].upper() + notice[1:])


def _packs(items: Sequence[Numbered], budget: int) -> list[list[Numbered]]:
    """Consecutive items grouped to fit ``budget`` tokens each; an item too long alone is cut."""
    packs: list[list[Numbered]] = []
    used = 0
    for item in items:
        item = (fit([item], budget) or [item])[0]
        size = count_tokens(render_one(item)) + 2
        if packs and used + size <= budget:
            packs[-1].append(item)
            used += size
        else:
            packs.append([item])
            used = size
    return packs


def _text(reply: AIMessage) -> str:
    content = reply.content
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content).strip()


_SHORT = re.compile(r"^\s*\*\*([^*\n]{1,120})\*\*\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\])?\s*[—–:-]?\s*")


def _short_answer(text: str) -> tuple[str, str]:
    """A bold short answer the model opened with, and the rest of its text."""
    m = _SHORT.match(text)
    if not m or not text[m.end():].strip():
        return "", text
    return " ".join(m.group(1).split()), text[m.end():]


def _with_short(answer: Answer, short: str) -> Answer:
    """The answer opened by the model's short answer, if a quoted supporting sentence spells it
    exactly (any other short answer is dropped: the model may have invented it)."""
    if not short:
        return answer
    for c in answer.citations:
        if short.lower() in " ".join(c.quote.split()).lower():
            return replace(answer, text=f"**{short}** [{c.n}] — {answer.text}", short=short)
    log.info("short answer %r is not in a supporting sentence: dropped", short)
    return answer


def _compose(question: str, claims: Sequence[Claim], book: PassageBook) -> Answer:
    """Renumber citations in order of first use and quote each passage's best supporting sentence."""
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for claim in claims:
        marks = []
        for n in claim.cites:
            item: Numbered | None = book.get(n)
            if item is None:
                continue
            if n not in renumber:
                renumber[n] = len(renumber) + 1
                citations.append(_citation(renumber[n], item, claim))
            marks.append(f"[{renumber[n]}]")
        sentence = claim.text + (" " + "".join(marks) if marks else "")
        if not claim.supported:
            sentence += f" {UNVERIFIED}"
        parts.append(sentence)
    return Answer(question=question, text=" ".join(parts), refused=False, citations=tuple(citations),
                  mode="generative")


def _citation(n: int, item: Numbered, claim: Claim) -> Citation:
    chunk = item.passage.chunk
    if claim.evidence and claim.evidence[0] == item.n:
        _, a, b = claim.evidence
    else:
        a, b = 0, len(item.text)
    return Citation(n=n, article_id=chunk.article_id, title=chunk.title, source=chunk.source,
                    published=chunk.published, url=chunk.url, quote=item.text[a:b],
                    start=chunk.start + a, end=chunk.start + b, outlets=item.passage.outlets)
