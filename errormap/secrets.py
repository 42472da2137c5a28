"""What looks like a secret, and where one was put in the configuration instead of the environment.

Config values end up in params.yaml, dvc.lock, experiment commits, DVC's run cache and MLflow.
A secret therefore never belongs there: the judge reads its key from the variable named in
`judge.api_key_env`, and other credentials from the variables named in `judge.default_headers_env`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# A key is secret when its name *ends* with one of these words: `hf_token` and `openai_api_key`
# are, `max_tokens` and `api_key_env` (the name of an environment variable) are not.
SECRET_KEY = re.compile(
    r"(?i)(?:^|[_\-.])(?:api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|key|token|secret|"
    r"password|passwd|authorization|auth|bearer|credentials?|signature|sig|cookie)$"
)
SECRET_VALUE = re.compile(r"(?i)^(sk-|sk_|hf_|ghp_|github_pat_|gsk_|xox[bp]-|bearer\s|basic\s)")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOW_TO_PASS = (
    "config values are written to params.yaml, dvc.lock and experiment commits, so pass it through the "
    "environment: put it in a variable and name the variable in judge.default_headers_env "
    "(e.g. {Authorization: MY_JUDGE_AUTH} with MY_JUDGE_AUTH='Bearer ...'), or judge.api_key_env for the API key"
)


def url_secrets(url: str) -> list[str]:
    """What in a URL is a credential: a password in the user info, or query parameters with secret names."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    if parts.password:
        found.append("a password (user:password@)")
    found += [f"the query parameter '{name}'" for name, _ in parse_qsl(parts.query) if SECRET_KEY.search(name)]
    return found


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every scalar in nested mappings and lists."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{path}[{index}]")
    else:
        yield path, value


def _keys(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, key) of every mapping key in nested mappings and lists."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield f"{path}.{key}", str(key)
            yield from _keys(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _keys(inner, f"{path}[{index}]")


def judge_secret_problems(judge: Mapping[str, Any]) -> list[str]:
    """Where the judge config holds a secret, and why; values are never repeated in the messages."""
    problems = []
    for path, value in _leaves(judge, "judge"):  # judge.base_url, and any other URL (a fleet's endpoints)
        if isinstance(value, str) and "://" in value:
            for what in url_secrets(value):
                problems.append(
                    f"{path} holds {what}; remove it: {HOW_TO_PASS}, or set OPENAI_BASE_URL with judge.base_url: null"
                )
    for name in ("api_key_env",):
        value = judge.get(name)
        if isinstance(value, str) and not ENV_NAME.match(value):
            problems.append(f"judge.{name} must name an environment variable (letters, digits, _), not hold the key itself")
    for header, variable in dict(judge.get("default_headers_env") or {}).items():
        if not isinstance(variable, str) or not ENV_NAME.match(variable):
            problems.append(
                f"judge.default_headers_env.{header} must name an environment variable (letters, digits, _), "
                "not hold the header's value"
            )
    for header in dict(judge.get("default_headers") or {}):
        if SECRET_KEY.search(str(header)) or str(header).lower() in ("authorization", "proxy-authorization", "cookie"):
            problems.append(f"judge.default_headers.{header} carries a credential; {HOW_TO_PASS}")
    for path, value in _leaves({k: v for k, v in judge.items() if k not in ("default_headers_env", "api_key_env")}, "judge"):
        if isinstance(value, str) and SECRET_VALUE.search(value.strip()):
            problems.append(f"{path} looks like a secret; {HOW_TO_PASS}")
    for path, key in _keys(judge.get("extra_body") or {}, "judge.extra_body"):
        if SECRET_KEY.search(key):
            problems.append(f"{path} is named like a secret; {HOW_TO_PASS}")
    return list(dict.fromkeys(problems))
