"""`errormap taxonomy ...`: commands that inspect and compare taxonomies."""

from __future__ import annotations

import argparse


def add_taxonomy_commands(commands: argparse._SubParsersAction) -> None:
    """Register the taxonomy sub-commands (filled in by the quality module)."""
    taxonomy = commands.add_parser("taxonomy", help="inspect, compare and measure taxonomies")
    taxonomy.add_subparsers(dest="taxonomy_command", required=True, metavar="ACTION")
