"""Diff: what changed between two editions (placeholder; being written)."""

from __future__ import annotations

import argparse
import sys


def run_diff(args: argparse.Namespace) -> int:
    print("terms diff: not implemented yet", file=sys.stderr)
    return 2
