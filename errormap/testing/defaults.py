"""Settings and judges for tests and benchmarks: conf/'s defaults with a few overrides."""

from __future__ import annotations

from typing import Any

from errormap.judge import AnswerStore, CachingJudge, Judge, OpenAIJudge
from errormap.settings import OpenAIJudgeConfig, TaxonomyConfig, validate


def openai_judge_config(**overrides: Any) -> OpenAIJudgeConfig:
    """conf/judge/openai.yaml with overrides, validated like params.yaml."""
    from errormap.config import compose

    base = compose(_conf_dir(), ["judge=openai"])
    return validate({**base, "judge": {**base["judge"], **overrides}}).judge  # type: ignore[return-value]


def openai_judge(store: AnswerStore | None = None, **overrides: Any) -> Judge:
    """The OpenAI-compatible judge, answering through `store` when one is given."""
    judge = OpenAIJudge(openai_judge_config(**overrides))
    return CachingJudge(judge, store) if store is not None else judge


def _conf_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2] / "conf")


def taxonomy_config(**overrides: Any) -> TaxonomyConfig:
    """conf/taxonomy's defaults with overrides, validated."""
    from errormap.settings import default_settings

    return TaxonomyConfig.model_validate({**default_settings().taxonomy.model_dump(), **overrides})
