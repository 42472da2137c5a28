"""Test helpers: a real local OpenAI-compatible server for tests and benchmarks."""
