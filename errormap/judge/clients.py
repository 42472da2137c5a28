"""Which client carries the LLM judge's requests: one endpoint, a fleet (`judge.endpoints`) or batches (`judge.mode`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from errormap.errors import UserError
from errormap.settings import OpenAIJudgeConfig


def build_client(config: OpenAIJudgeConfig, store_path: Path | None) -> Any:
    """A `ChatClient`, a `FleetClient` or a `BatchClient` (batches are recorded in the answer store's file)."""
    from errormap.judge.client import ChatClient

    if config.mode == "batch":
        from errormap.judge.batch import BatchClient
        from errormap.judge.batch_ledger import BatchLedger

        if config.endpoints:
            raise UserError("judge.mode=batch sends one batch to judge.base_url: leave judge.endpoints empty")
        return BatchClient(config, BatchLedger(store_path if store_path is not None else ":memory:"))
    if config.endpoints:
        from errormap.judge.fleet import FleetClient

        return FleetClient(config)
    return ChatClient(config)
