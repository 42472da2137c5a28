"""Settings and judges for tests and benchmarks: conf/'s defaults with a few overrides."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from errormap.judge import AnswerStore, CachingJudge, Judge, OpenAIJudge
from errormap.settings import PROJECT_CONF, OpenAIJudgeConfig, TaxonomyConfig, validate


def openai_judge_config(**overrides: Any) -> OpenAIJudgeConfig:
    """conf/judge/openai.yaml with overrides, validated like params.yaml."""
    base = _openai_defaults()
    return validate({**base, "judge": {**base["judge"], **overrides}}).judge  # type: ignore[return-value]


def openai_judge(store: AnswerStore | None = None, **overrides: Any) -> Judge:
    """The OpenAI-compatible judge, answering through `store` when one is given."""
    judge = OpenAIJudge(openai_judge_config(**overrides))
    return CachingJudge(judge, store) if store is not None else judge


@lru_cache(maxsize=1)
def _openai_defaults() -> dict[str, Any]:
    """conf/ composed with judge=openai, once per process (a Hydra composition costs about half a second)."""
    from errormap.config import compose

    return compose(PROJECT_CONF, ["judge=openai"])


def taxonomy_config(**overrides: Any) -> TaxonomyConfig:
    """conf/taxonomy's defaults with overrides, validated."""
    from errormap.settings import default_settings

    return TaxonomyConfig.model_validate({**default_settings().taxonomy.model_dump(), **overrides})
