"""The ``claimflow`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._demo import run as run_demo

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``claimflow`` command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="claimflow",
        description="Order claim rules for Toss Shopping, imweb and x2bee.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo",
        help="walk one order product per marketplace through a cancel, a return and an "
        "exchange (offline)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        run_demo()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
