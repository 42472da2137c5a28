"""Run a snippet of Python in a child process whose address space is capped (RLIMIT_AS)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_PRELUDE = """
import resource

def _vm_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")

{setup}
_cap = _vm_bytes() + {extra}
resource.setrlimit(resource.RLIMIT_AS, (_cap, _cap))
{body}
"""


def run_capped(setup: str, body: str, extra_bytes: int, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `setup` freely (imports, building the input), then `body` with at most `extra_bytes` more address space.

    A MemoryError (or any other error) shows as a non-zero exit code with the traceback in stderr.
    """
    code = _PRELUDE.format(setup=textwrap.dedent(setup), body=textwrap.dedent(body), extra=int(extra_bytes))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
