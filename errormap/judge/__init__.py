"""Judges: the protocol, the LLM judge (chat client + prompts), the offline judge, and the caching wrapper.

The protocol, the store and the caching wrapper are imported eagerly (they are light); the offline
judge (scikit-learn) and the LLM judge load on first use, so a stage imports only the judge it runs.
The LLM judge talks to its server through aiohttp; the openai SDK loads only for
`judge.http_backend: httpx` and `judge.mode: batch`.
"""

from __future__ import annotations

from pathlib import Path

from errormap.judge.base import Judge, JudgeAnswer, JudgeError, TitleCount
from errormap.judge.caching import CachingJudge
from errormap.judge.store import AnswerStore
from errormap.lazy import lazy_attributes
from errormap.settings import JudgeConfig, OfflineJudgeConfig, Settings

_LAZY = {"OfflineJudge": "errormap.judge.offline", "OpenAIJudge": "errormap.judge.openai_judge"}

__all__ = [
    "AnswerStore",
    "CachingJudge",
    "Judge",
    "JudgeAnswer",
    "JudgeError",
    "TitleCount",
    "build_judge",
    "judge_from_settings",
    *_LAZY,
]


__getattr__ = lazy_attributes(__name__, _LAZY)


def build_judge(config: JudgeConfig, *, prompt_version: str, store_path: Path | None) -> Judge:
    """The judge a `judge` config group describes; an LLM judge answers through the store when one is given."""
    if isinstance(config, OfflineJudgeConfig):
        from errormap.judge.offline import OfflineJudge

        return OfflineJudge(prompt_version=prompt_version, config=config)
    from errormap.judge.clients import build_client
    from errormap.judge.openai_judge import OpenAIJudge

    judge = OpenAIJudge(config, prompt_version=prompt_version, client=build_client(config, store_path))
    return CachingJudge(judge, AnswerStore(store_path)) if store_path is not None else judge


def judge_from_settings(settings: Settings, store_path: Path | None) -> Judge:
    """The judge the whole settings configure (judge group and prompt version)."""
    return build_judge(settings.judge, prompt_version=settings.prompts.version, store_path=store_path)
