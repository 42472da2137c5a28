"""Hostile benchmark inputs: huge outputs, degenerate scores, empty files and awkward names (issue 11, items 1-5)."""

from __future__ import annotations

from pathlib import Path

from tests.memory_cap import run_capped

MB = 1024 * 1024


def test_final_answers_memory_is_linear_in_the_output() -> None:
    """14,000 'answer is' statements on one 266 KB line: each used to copy the whole line (about 3.7 GB)."""
    result = run_capped(
        setup="""
            from errormap.answers import final_answers
            output = "x\\n" + "The answer is (A). " * 14000
        """,
        body="""
            answers = final_answers(output)
            assert len(answers) == 14000, len(answers)
            assert all(a.text == "(A)" and a.text in a.quote and a.quote in output for a in answers[:50])
            assert max(len(a.quote) for a in answers) <= 500
        """,
        extra_bytes=200 * MB,
    )
    assert result.returncode == 0, result.stderr[-3000:]
