"""Scripted chat models: replies and tool calls written in the test, what they were sent recorded."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatResult
from pydantic import Field


class ScriptedChatModel(GenericFakeChatModel):
    """Replies with the scripted messages in order; supports tool binding like a real model."""

    sent: list = Field(default_factory=list)

    @classmethod
    def replying(cls, *replies: str | AIMessage) -> ScriptedChatModel:
        return cls(messages=iter([r if isinstance(r, AIMessage) else AIMessage(r) for r in replies]))

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class FailingChatModel(ScriptedChatModel):
    """Raises the given error on every call, like a provider that is down or rate-limiting."""

    error: Exception = Field(default_factory=lambda: RuntimeError("provider down"))

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        raise self.error


class SlowChatModel(ScriptedChatModel):
    """Takes ``delay`` seconds before answering, like a model that hangs."""

    delay: float = 5.0

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.sent.append(list(messages))
        time.sleep(self.delay)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def tool_call(query: str, call_id: str = "call-1", **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "search", "args": {"query": query, **args}, "id": call_id}])
