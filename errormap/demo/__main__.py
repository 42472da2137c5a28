"""`python -m errormap.demo [DIR] [SEED]`: write the demo benchmark (a convenience entry point)."""

from __future__ import annotations

import sys

from errormap.demo import generate_demo

if __name__ == "__main__":  # pragma: no cover - convenience entry point
    target = sys.argv[1] if len(sys.argv) > 1 else "demo_data"
    for written in generate_demo(target, int(sys.argv[2]) if len(sys.argv) > 2 else 0):
        print(written)
