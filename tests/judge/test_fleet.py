"""judge.endpoints: a fleet of local protocol servers, weighted, with a failing endpoint taken out and probed back."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pandas as pd

from errormap.judge import build_judge
from errormap.testing.defaults import openai_judge_config
from errormap.testing.openai_server import AutoResponder, Reply, ScriptedServer, server_error

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_batch_mode import ANSWER_COLUMNS, cases, run, stored  # noqa: E402


def fleet_config(*servers: tuple[ScriptedServer, int, float], **overrides: object):
    endpoints = [{"base_url": s.base_url, "max_concurrency": c, "weight": w} for s, c, w in servers]
    return openai_judge_config(model="m", base_url=None, api_key_env=None, endpoints=endpoints, retry_base_delay=0,
                               **overrides)


def test_requests_are_shared_by_weight(tmp_path: Path) -> None:
    with ScriptedServer() as light, ScriptedServer() as heavy:
        judge = build_judge(fleet_config((light, 64, 1.0), (heavy, 64, 3.0)), prompt_version="v1", store_path=None)
        frame = run(judge, cases(40))
        assert (light.request_count, heavy.request_count) == (10, 30)
    assert (frame["status"] == "ok").all()


class Switch:
    """500s while `down`, valid answers otherwise."""

    def __init__(self) -> None:
        self.down = True
        self.auto = AutoResponder()

    def __call__(self, body: dict) -> Reply:
        return server_error("endpoint down") if self.down else self.auto(body)


def test_a_failing_endpoint_is_taken_out_and_probed_back_in(tmp_path: Path) -> None:
    switch = Switch()
    with ScriptedServer(switch) as sick, ScriptedServer() as healthy:
        config = fleet_config((sick, 4, 1.0), (healthy, 4, 1.0), endpoint_failures=2, endpoint_probe_seconds=2.0,
                              max_retries=3)

        async def main() -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
            judge = build_judge(config, prompt_version="v1", store_path=None)
            from errormap.steps.analyze import diagnose_all

            try:
                first, _ = await diagnose_all(cases(30), judge)
                taken_out = sick.request_count
                more, _ = await diagnose_all(cases(60)[30:45], judge)
                assert sick.request_count <= taken_out + 1  # out of service: at most its probe was sent to it
                switch.down = False
                loop = asyncio.get_running_loop()
                deadline, start, batches = loop.time() + 60, 45, []
                while judge.client.stats()[0]["served"] == 0 and loop.time() < deadline:  # until its probe is due
                    frame, _ = await diagnose_all(cases(2000)[start : start + 2], judge)
                    batches.append(frame)
                    start += 2
                    await asyncio.sleep(0.1)
                return first, pd.concat(batches), judge.client.stats()
            finally:
                await judge.aclose()

        first, last, stats = asyncio.run(main())
        assert (first["status"] == "ok").all() and (last["status"] == "ok").all()
        assert stats[0]["in_service"] and stats[0]["served"] > 0  # probed, answered, back in service
        assert stats[0]["failed"] >= 2


def test_the_answer_does_not_depend_on_the_endpoint(tmp_path: Path) -> None:
    items = cases(16)
    with ScriptedServer() as a, ScriptedServer() as b, ScriptedServer() as c:
        fleet = run(build_judge(fleet_config((a, 8, 1.0), (b, 8, 1.0)), prompt_version="v1",
                                store_path=tmp_path / "fleet.sqlite"), items)
        assert a.request_count > 0 and b.request_count > 0
        single = openai_judge_config(model="m", base_url=c.base_url, api_key_env=None)
        alone = run(build_judge(single, prompt_version="v1", store_path=tmp_path / "alone.sqlite"), items)
        reused = run(build_judge(single, prompt_version="v1", store_path=tmp_path / "fleet.sqlite"), items)
        assert c.request_count == 16  # the run on its own store; the fleet's store answered everything
    pd.testing.assert_frame_equal(fleet[ANSWER_COLUMNS], alone[ANSWER_COLUMNS])
    pd.testing.assert_frame_equal(fleet[ANSWER_COLUMNS], reused[ANSWER_COLUMNS])
    assert stored(tmp_path / "fleet.sqlite") == stored(tmp_path / "alone.sqlite")
    with closing(sqlite3.connect(tmp_path / "fleet.sqlite")) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 16
