"""judge.mode=batch against the local protocol server's files and batches endpoints."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from errormap.judge import AnswerStore, build_judge
from errormap.judge.schemas import FailureCase
from errormap.steps.analyze import diagnose_all
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import AutoResponder, Reply, ScriptedServer, server_error

REPO = Path(__file__).resolve().parents[2]
BATCH = {"poll_interval": 0.02, "completion_window": "24h", "retry_failed": "online", "max_followups": 1, "min_requests": 1}


def cases(n: int) -> list[FailureCase]:
    return [
        FailureCase(failure_id=f"f{i}", dataset="arith", example_id=f"e{i}", model="m", input_text=f"What is {i} + {i}?",
                    output_text=f"It is {3 * i}.", correct_answer=str(2 * i), other_correct_outputs=[f"{2 * i}"],
                    other_models=["peer"])
        for i in range(n)
    ]


def run(judge, items: list[FailureCase]) -> pd.DataFrame:
    async def main() -> pd.DataFrame:
        try:
            frame, _ = await diagnose_all(items, judge)
        finally:
            await judge.aclose()
        return frame

    return asyncio.run(main())


def stored(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, payload FROM answers"))


def config(server: ScriptedServer, **batch: object):
    return openai_judge_config(model="m", base_url=server.base_url, api_key_env=None, max_retries=1,
                               retry_base_delay=0, mode="batch", batch={**BATCH, **batch})


ANSWER_COLUMNS = ["failure_id", "status", "error_title", "error_summary", "criteria"]


def test_batch_answers_are_the_online_answers(tmp_path: Path) -> None:
    items = cases(12)
    with ScriptedServer() as server:
        batch = run(build_judge(config(server), prompt_version="v1", store_path=tmp_path / "batch.sqlite"), items)
        assert server.batches.created == 1 and server.request_count == 0
        online_config = config(server).model_copy(update={"mode": "online"})
        online = run(build_judge(online_config, prompt_version="v1", store_path=tmp_path / "online.sqlite"), items)
        assert server.request_count == 12
    assert (batch["status"] == "ok").all()
    pd.testing.assert_frame_equal(batch[ANSWER_COLUMNS], online[ANSWER_COLUMNS])
    assert stored(tmp_path / "batch.sqlite") == stored(tmp_path / "online.sqlite")  # same keys, same answers


class FailFirstTime:
    """A 500 for every third request the first time it is seen; valid answers otherwise."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.auto = AutoResponder()

    def __call__(self, body: dict) -> Reply:
        text = json.dumps(body["messages"], sort_keys=True)
        first = text not in self.seen
        self.seen.add(text)
        if first and len(self.seen) % 3 == 0:
            return server_error("try again")
        return self.auto(body)


@pytest.mark.parametrize("retry, batches, online", [("online", 1, 3), ("batch", 2, 0)])
def test_failed_lines_are_retried(tmp_path: Path, retry: str, batches: int, online: int) -> None:
    with ScriptedServer(FailFirstTime()) as server:
        frame = run(build_judge(config(server, retry_failed=retry), prompt_version="v1", store_path=tmp_path / "s.sqlite"), cases(9))
        assert server.batches.created == batches
        assert server.request_count == online
    assert (frame["status"] == "ok").all()
    assert frame["requests"].sum() == 9 + 3  # three lines needed a second attempt


def test_failed_lines_stay_failed_when_not_retried(tmp_path: Path) -> None:
    with ScriptedServer(FailFirstTime()) as server:
        frame = run(build_judge(config(server, retry_failed="none"), prompt_version="v1", store_path=tmp_path / "s.sqlite"), cases(9))
    assert (frame["status"] == "failed").sum() == 3
    assert frame.loc[frame["status"] == "failed", "error"].str.contains("HTTP 500").all()


CLIENT = """
import asyncio, json, sys
sys.path.insert(0, {tests!r})
from test_batch_mode import BATCH, cases, run
from errormap.judge import build_judge
from errormap.testing.defaults import openai_judge_config
config = openai_judge_config(model="m", base_url={url!r}, api_key_env=None, mode="batch", batch=BATCH)
judge = build_judge(config, prompt_version="v1", store_path={store!r})
client = judge.inner.client
frame = run(judge, cases({n}))
print(json.dumps({{"ok": int((frame["status"] == "ok").sum()), "created": client.batches_created,
                  "resumed": client.batches_resumed}}))
"""


def test_a_run_killed_mid_poll_resumes_the_same_batch(tmp_path: Path) -> None:
    store = tmp_path / "cache.sqlite"
    with ScriptedServer() as server:
        script = CLIENT.format(tests=str(Path(__file__).resolve().parent), url=server.base_url, store=str(store), n=20)
        server.batches.hold()  # the batch stays in progress: the client keeps polling
        first = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while server.batches.polls < 3 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, first.stderr.read().decode()[-2000:] if first.stderr else ""
        first.kill()
        first.communicate()
        assert server.batches.created == 1
        with closing(sqlite3.connect(store)) as db:
            assert db.execute("SELECT state, batch_id IS NOT NULL FROM batches").fetchall() == [("open", 1)]
            assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0
        server.batches.release()
        second = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr[-2000:]
        summary = json.loads(second.stdout.strip().splitlines()[-1])
        assert summary == {"ok": 20, "created": 0, "resumed": 1}
        assert server.batches.created == 1 and server.request_count == 0  # nothing asked twice, nothing online
    assert AnswerStore(store).count("diagnosis") == 20
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT state FROM batches").fetchall() == [("done",)]
