"""errormap: explain why language models fail on benchmarks."""

__version__ = "0.1.0"
