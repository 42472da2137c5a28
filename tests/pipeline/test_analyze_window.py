"""The analyze step asks a bounded window of failures at once, keeps case order, and lets a batch judge see all."""

from __future__ import annotations

import asyncio

from errormap.judge import JudgeAnswer
from errormap.judge.schemas import Diagnosis, FailureCase
from errormap.steps.analyze import diagnose_all, in_flight_limit
from errormap.settings import default_settings
from errormap.testing.defaults import openai_judge_config


class CountingJudge:
    """Answers after a short, case-dependent wait; records how many diagnoses were outstanding at most."""

    judge_id, prompt_version = "counting", "v1"

    def __init__(self) -> None:
        self.outstanding = self.most = 0

    async def diagnose(self, case: FailureCase) -> JudgeAnswer[Diagnosis]:
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        await asyncio.sleep(0.001 * (int(case.failure_id) % 7))  # later cases may finish first
        self.outstanding -= 1
        return JudgeAnswer(Diagnosis(error_title=f"title {case.failure_id}", error_summary="s", criteria=[]), requests=1)


def cases(count: int) -> list[FailureCase]:
    return [FailureCase(failure_id=str(i), dataset="d", example_id=str(i), model="m", input_text="q",
                        output_text="a", correct_answer="b", other_correct_outputs=[], other_models=[])
            for i in range(count)]


def test_at_most_the_window_is_asked_at_once_and_rows_keep_case_order() -> None:
    judge = CountingJudge()
    frame, stats = asyncio.run(diagnose_all(cases(200), judge, in_flight=16))
    assert judge.most == 16
    assert list(frame["failure_id"]) == [str(i) for i in range(200)]
    assert list(frame["error_title"]) == [f"title {i}" for i in range(200)]
    assert stats.done == 200 and stats.requests == 200


def test_without_a_window_every_case_is_asked_at_once() -> None:
    judge = CountingJudge()
    asyncio.run(diagnose_all(cases(50), judge, in_flight=None))
    assert judge.most == 50


def test_the_window_is_twice_what_the_judge_serves_and_none_for_a_batch() -> None:
    settings = default_settings()
    online = settings.model_copy(update={"judge": openai_judge_config(max_concurrency=40)})
    batch = settings.model_copy(update={"judge": openai_judge_config(mode="batch")})
    assert in_flight_limit(online) == 80
    assert in_flight_limit(batch) is None


def test_cases_from_an_iterator_are_made_only_as_the_window_reaches_them() -> None:
    made: list[int] = []
    seen_when_first_done: list[int] = []

    def lazily(count: int):
        for case in cases(count):
            made.append(1)
            yield case

    judge = CountingJudge()
    diagnose = judge.diagnose

    async def record(case: FailureCase) -> JudgeAnswer[Diagnosis]:
        answer = await diagnose(case)
        seen_when_first_done.append(len(made))
        return answer

    judge.diagnose = record  # type: ignore[method-assign]
    frame, stats = asyncio.run(diagnose_all(lazily(100), judge, in_flight=8, total=100))
    assert seen_when_first_done[0] <= 8  # no more than the window was made before the first answer
    assert list(frame["failure_id"]) == [str(i) for i in range(100)] and stats.done == 100
