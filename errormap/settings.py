"""Typed configuration: one pydantic model per config group, built once when a stage starts.

The values and their defaults live in one place, `conf/` (Hydra composes them into `params.yaml`);
these models are the schema: types, ranges, and `extra="forbid"`, so a mistyped key is an error
naming the key and the file instead of being dropped.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from errormap.config import PARAMS_FILE, compose, load_params
from errormap.errors import UserError

PROJECT_CONF = Path(__file__).resolve().parents[1] / "conf"  # the repository's conf/, for library callers


class Group(BaseModel):
    """A config group: every key must be known, and the values are validated on assignment too."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SuccessThreshold(Group):
    default: float | None
    mean_ratio: float = Field(gt=0)
    per_dataset: dict[str, float]


class HarnessImportConfig(Group):
    """How harness output is read when `data.format` names a harness (see `errormap.importers`); null = the harness's own choice."""

    lm_eval_metric: str | None
    lm_eval_filter: str | None
    helm_metric: str | None
    inspect_scorer: str | None
    inspect_score_map: dict[str, float]


class DataConfig(Group):
    input_dir: str
    format: Literal["table", "lm-eval", "helm", "inspect", "auto"]
    harness: HarnessImportConfig
    success_threshold: SuccessThreshold


class ModelsConfig(Group):
    include: list[str] | None


class ReferenceErrorConfig(Group):
    """When the offline judge may call a failure "Possible reference error": strong agreement against the reference."""

    min_models: int = Field(ge=2)
    min_agreement: float = Field(gt=0.5, le=1)
    max_reference_share: float = Field(ge=0, lt=1)


class OfflineJudgeConfig(Group):
    kind: Literal["offline"]
    reference_error: ReferenceErrorConfig
    max_text_chars: int = Field(ge=200)


SECRET_IN_CONFIG = "secret_in_config"


class EndpointConfig(Group):
    """One server of a fleet (`judge.endpoints`): its URL, how many requests it takes at once, its share."""

    base_url: str = Field(min_length=1)
    max_concurrency: int = Field(ge=1)
    weight: float = Field(gt=0)


class BatchConfig(Group):
    """`judge.mode: batch`: the OpenAI Batch API (see `errormap.judge.batch`)."""

    poll_interval: float = Field(gt=0)
    completion_window: str = Field(min_length=1)
    retry_failed: Literal["batch", "online", "none"]
    max_followups: int = Field(ge=0)
    min_requests: int = Field(ge=1)


class OpenAIJudgeConfig(Group):
    """An OpenAI-compatible endpoint. No secrets: the key is read from the variable named in `api_key_env`."""

    kind: Literal["openai"]
    model: str = Field(min_length=1)
    base_url: str | None
    api_key_env: str | None
    temperature: float = Field(ge=0)
    max_tokens: int = Field(gt=0)
    timeout: float = Field(gt=0)
    max_concurrency: int = Field(ge=1)
    max_retries: int = Field(ge=0)
    retry_base_delay: float = Field(ge=0)
    retry_max_delay: float = Field(ge=0)
    mode: Literal["online", "batch"]
    endpoints: list[EndpointConfig]
    endpoint_failures: int = Field(ge=1)
    endpoint_probe_seconds: float = Field(gt=0)
    batch: BatchConfig
    max_cost: float | None = Field(ge=0)
    structured_output: Literal["auto", "json_schema", "json_object", "none"]
    http_backend: Literal["auto", "aiohttp", "httpx"]
    seed: int | None
    extra_body: dict[str, Any]
    default_headers: dict[str, str]
    default_headers_env: dict[str, str]
    check_on_start: bool
    stop_after_identical_errors: int = Field(ge=1)
    stall_timeout: float = Field(gt=0)
    max_text_chars: int = Field(ge=200)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, raw: Any) -> Any:
        """A secret in config would land in params.yaml, dvc.lock and git: refused, saying how to pass it instead."""
        from errormap.secrets import judge_secret_problems

        problems = judge_secret_problems(raw) if isinstance(raw, dict) else []
        if problems:
            raise PydanticCustomError(SECRET_IN_CONFIG, "; ".join(problems))
        return raw

    @property
    def serving(self) -> int:
        """How many requests the judge serves at once: the fleet's endpoints together, else `max_concurrency`."""
        return sum(e.max_concurrency for e in self.endpoints) if self.endpoints else self.max_concurrency


JudgeConfig = Annotated[OfflineJudgeConfig | OpenAIJudgeConfig, Field(discriminator="kind")]


class PromptsConfig(Group):
    version: str


class TaxonomyConfig(Group):
    """How the taxonomy is induced (see `errormap.taxonomy.builder`), or which ErrorAtlas release to classify into."""

    mode: Literal["induce", "atlas"]
    atlas: str = Field(min_length=1)

    max_categories: int | None = Field(ge=2)
    min_categories: int = Field(ge=2)
    category_cap: int = Field(ge=2)
    category_ratio: float = Field(gt=0)
    induction: Literal["sequential", "tree"]
    batch_size: int = Field(ge=1)
    classify_batch_size: int = Field(ge=1)
    classify_during_review: bool
    rare_share: float = Field(ge=0, lt=1)
    min_titles_to_split: int = Field(ge=1)
    max_depth: int = Field(ge=1)
    min_coverage: float = Field(ge=0, le=1)
    max_fallback_share: float = Field(ge=0, le=1)


class ModelPrice(Group):
    """What one model costs, per million tokens, as the user states it (errormap makes no price claims)."""

    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    output: float = Field(ge=0)
    batch_input: float | None = Field(default=None, ge=0)
    batch_output: float | None = Field(default=None, ge=0)


class CostConfig(Group):
    """How `errormap estimate` and the `judge.max_cost` guard work out a run's bill (see `errormap.cost`)."""

    prices: dict[str, ModelPrice]
    tokenizer: str = Field(min_length=1)
    completion_tokens: dict[str, int | None]
    default_completion_tokens: int = Field(ge=1)
    cache_min_prefix_tokens: int = Field(ge=0)
    latency: float = Field(ge=0)


class SamplingConfig(Group):
    ratio: float = Field(gt=0, le=1)
    max_per_group: int | None = Field(ge=1)


class AnalysisConfig(Group):
    k_correct: int = Field(ge=0)
    max_failed_share: float = Field(ge=0, le=1)


class StabilityConfig(Group):
    seeds: list[int]
    jaccard: float = Field(gt=0, le=1)
    min_adjusted_rand: float = Field(ge=-1, le=1)


class SignaturesConfig(Group):
    """Signatures, profiles and comparisons (see `errormap.signatures`, `errormap.comparisons`)."""

    level: int = Field(ge=1)
    split_by: str | None = None
    capability_groups: dict[str, list[str]] = Field(default_factory=dict)


class ReportConfig(Group):
    examples_per_category: int = Field(ge=0)


class TrackingConfig(Group):
    enabled: bool
    experiment: str = Field(min_length=1)


class Settings(Group):
    """The whole composed configuration (`params.yaml`)."""

    seed: int
    data: DataConfig
    models: ModelsConfig
    judge: JudgeConfig
    prompts: PromptsConfig
    taxonomy: TaxonomyConfig
    cost: CostConfig
    sampling: SamplingConfig
    analysis: AnalysisConfig
    stability: StabilityConfig
    signatures: SignaturesConfig
    report: ReportConfig
    tracking: TrackingConfig


class ConfigError(UserError):
    """A configuration that does not match the schema; the message names the key and the file."""


def _location(loc: tuple[Any, ...]) -> str:
    # The judge union adds the discriminator value ("openai") to the path: drop it.
    return ".".join(str(part) for part in loc if part not in ("offline", "openai"))


def validate(raw: dict[str, Any], source: str = PARAMS_FILE) -> Settings:
    """The typed settings, or one ConfigError line per problem naming the key and where it came from."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            key = _location(error["loc"])
            group = key.split(".", 1)[0]
            origin = f"{source} (from conf/{group}/)" if "." in key else source
            if error["type"] == SECRET_IN_CONFIG:  # the value itself is never repeated
                lines.append(f"{source}: {error['msg']}")
                continue
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "missing key"
            else:
                message = f"{error['msg']} (got {error.get('input')!r})"
            lines.append(f"{origin}: {key}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None


def load_settings(path: Path | str = PARAMS_FILE) -> Settings:
    """Read and validate params.yaml."""
    return validate(load_params(path), str(path))


@lru_cache(maxsize=1)
def default_settings(conf_dir: str = "conf") -> Settings:
    """conf/ composed with no overrides: the defaults, for library callers, tests and benchmarks."""
    directory = Path(conf_dir) if Path(conf_dir).is_absolute() else PROJECT_CONF.parent / conf_dir
    return validate(compose(directory), str(directory))
