"""Where the judge is and what every request carries: the URL without credentials, and headers from the environment.

Credentials never come from config (see `errormap.secrets`): the API key from the variable named in
`judge.api_key_env`, other headers from the variables named in `judge.default_headers_env`, and a
`user:password@` in `$OPENAI_BASE_URL` becomes a Basic `Authorization` header. The URL the HTTP
clients see, log and put in error messages has no credentials, so both transports work and nothing leaks.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from errormap.errors import UserError
from errormap.settings import OpenAIJudgeConfig

BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class EndpointError(UserError):
    """The judge's endpoint cannot be set up (a header's variable is not set)."""


@dataclass(frozen=True)
class Endpoint:
    """The credential-free base URL, the API key, and the headers sent with every request."""

    base_url: str
    api_key: str
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def scrub(self, text: str) -> str:
        """`text` with every credential of this endpoint replaced by ***."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without `user:password@`, and the Basic Authorization value the user info stood for (or None)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[-1]
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), f"Basic {token}"


def resolve_endpoint(config: OpenAIJudgeConfig, environ: dict[str, str] | None = None) -> Endpoint:
    """The endpoint a judge config describes, with its credentials read from the environment."""
    env = os.environ if environ is None else environ
    api_key = env.get(config.api_key_env, "") if config.api_key_env else ""
    raw_url = config.base_url or env.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    base_url, basic = split_credentials(raw_url)
    headers = dict(config.default_headers)
    secrets = [api_key]
    if basic:
        headers["Authorization"] = basic
        secrets += [basic, basic.split(" ", 1)[1], raw_url]
        password = urlsplit(raw_url).password
        secrets += [password, unquote(password)] if password else []
    missing = []
    for header, variable in config.default_headers_env.items():
        value = env.get(variable)
        if value is None:
            missing.append(f"{header} (from ${variable})")
            continue
        headers[header] = value
        secrets.append(value)
    if missing:
        raise EndpointError(
            f"judge.default_headers_env: the environment variable of header {', '.join(missing)} is not set"
        )
    return Endpoint(base_url, api_key or "not-needed", headers, tuple(s for s in secrets if s and len(s) >= 4))
