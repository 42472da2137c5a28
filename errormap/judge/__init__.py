"""Judges: the protocol, the OpenAI-compatible judge, the offline judge and the answer store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from errormap.judge.base import Judge, JudgeAnswer, JudgeError, TitleCount
from errormap.judge.offline import OfflineJudge
from errormap.judge.openai_judge import OpenAIJudge, OpenAIJudgeConfig
from errormap.judge.store import AnswerStore

JUDGE_KINDS = ("offline", "openai")

__all__ = [
    "AnswerStore",
    "Judge",
    "JudgeAnswer",
    "JudgeError",
    "OfflineJudge",
    "OpenAIJudge",
    "OpenAIJudgeConfig",
    "TitleCount",
    "build_judge",
]


def build_judge(config: Mapping[str, Any], *, prompt_version: str, store_path: Path | None) -> Judge:
    """The judge a `judge` config group describes."""
    kind = config.get("kind", "offline")
    if kind == "offline":
        return OfflineJudge(prompt_version=prompt_version)
    if kind == "openai":
        if not config.get("model"):
            raise ValueError("judge.model is required for an OpenAI-compatible judge")
        store = AnswerStore(store_path) if store_path is not None else None
        return OpenAIJudge(OpenAIJudgeConfig.from_mapping(dict(config)), prompt_version=prompt_version, store=store)
    raise ValueError(f"unknown judge.kind {kind!r}; expected one of {JUDGE_KINDS}")
