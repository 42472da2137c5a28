"""Judges: the protocol, the LLM judge (chat client + prompts), the offline judge, and the caching wrapper."""

from __future__ import annotations

from pathlib import Path

from errormap.judge.base import Judge, JudgeAnswer, JudgeError, TitleCount
from errormap.judge.caching import CachingJudge
from errormap.judge.offline import OfflineJudge
from errormap.judge.openai_judge import OpenAIJudge
from errormap.judge.store import AnswerStore
from errormap.settings import JudgeConfig, OfflineJudgeConfig, Settings

__all__ = [
    "AnswerStore",
    "CachingJudge",
    "Judge",
    "JudgeAnswer",
    "JudgeError",
    "OfflineJudge",
    "OpenAIJudge",
    "TitleCount",
    "build_judge",
    "judge_from_settings",
]


def build_judge(config: JudgeConfig, *, prompt_version: str, store_path: Path | None) -> Judge:
    """The judge a `judge` config group describes; an LLM judge answers through the store when one is given."""
    if isinstance(config, OfflineJudgeConfig):
        return OfflineJudge(prompt_version=prompt_version, config=config)
    from errormap.judge.clients import build_client

    judge = OpenAIJudge(config, prompt_version=prompt_version, client=build_client(config, store_path))
    return CachingJudge(judge, AnswerStore(store_path)) if store_path is not None else judge


def judge_from_settings(settings: Settings, store_path: Path | None) -> Judge:
    """The judge the whole settings configure (judge group and prompt version)."""
    return build_judge(settings.judge, prompt_version=settings.prompts.version, store_path=store_path)
