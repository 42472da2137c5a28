"""The errormap modules a script imports, directly or through other errormap modules (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _module_file(name: str) -> Path | None:
    base = REPO.joinpath(*name.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (imports for type hints only)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", getattr(child.test, "attr", "")) == "TYPE_CHECKING":
                pending.extend(child.orelse)
                continue
            pending.append(child)


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(parts + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {n for n in names if n == "errormap" or n.startswith("errormap.")}


def import_closure(script: Path) -> set[Path]:
    """Every errormap source file the script loads (package __init__ files included), as repo-relative paths."""
    seen: set[Path] = set()
    pending = [(REPO / script).resolve()]
    while pending:
        path = pending.pop()
        for name in _imported_names(path):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
                found = _module_file(".".join(parts[:depth]))
                if found is not None and found not in seen:
                    seen.add(found)
                    pending.append(found)
    return {p.relative_to(REPO) for p in seen}
