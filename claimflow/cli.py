"""The ``claimflow`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _apidoc, _diagrams, _opsguide
from ._demo import run as run_demo
from ._vocab import Marketplace
from .exceptions import ClaimflowError

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
    diagrams = sub.add_parser(
        "diagrams",
        help="regenerate the state diagrams and transition tables from the machines",
    )
    diagrams.add_argument("--out", type=Path, default=Path("diagrams"), help="default: diagrams")
    diagrams.add_argument(
        "--format",
        action="append",
        choices=_diagrams.FORMATS,
        help="repeat for several; default: all (svg needs Graphviz's dot)",
    )
    diagrams.add_argument(
        "--marketplace",
        action="append",
        choices=[m.value for m in Marketplace],
        help="repeat for several; default: all",
    )
    diagrams.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the text outputs under --out are not what the code "
        "generates",
    )
    diagrams.add_argument(
        "--trace",
        nargs="+",
        metavar="ACTION[@ACTOR]",
        help="draw one claim's journey from 결제완료 over the machines of one --marketplace "
        "(Mermaid to stdout, or files with --out)",
    )
    docs = sub.add_parser(
        "docs", help="regenerate the Korean ops guide and the API reference under docs/"
    )
    docs.add_argument("--out", type=Path, default=Path("docs"), help="default: docs")
    docs.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the files are stale"
    )
    emulate = sub.add_parser(
        "emulate",
        help="serve a marketplace emulator on 127.0.0.1 (needs the emulators extra); Toss "
        "client credentials: emulator-client / emulator-secret; imweb key / secret: "
        "emulator-key / emulator-secret; x2bee token: Bearer emulator-token",
    )
    emulate.add_argument("marketplace", choices=[m.value for m in Marketplace])
    emulate.add_argument("--port", type=int, default=8080, help="default: 8080")
    emulate.add_argument(
        "--seed", type=int, default=0, help="seeds the RNG of faults and orders; default: 0"
    )
    emulate.add_argument("--orders", type=int, default=0, help="order products to seed; default: 0")
    emulate.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fault injection, repeat for several: latency, error_rate, rate_limit_rate, "
        "drop_after_commit_rate, partial_failure_rate, retry_after, token_ttl",
    )
    emulate.add_argument(  # issue 13 (harden): protect the /_emulator/ control API
        "--control-token",
        default=None,
        help="require this token (header X-Emulator-Control-Token) on /_emulator/ paths",
    )
    args = parser.parse_args(argv)
    if args.command == "emulate":
        return _run_emulate(parser, args)
    if args.command == "demo":
        run_demo()
        return 0
    if args.command == "docs":
        return _run_docs(args.out, check=args.check)
    return _run_diagrams(parser, args)


def _run_emulate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    # imported here: the core must work without starlette and uvicorn installed
    import importlib  # noqa: PLC0415

    try:
        from .emulators import EMULATORS, Faults, serve  # noqa: PLC0415
    except ImportError as e:
        print(
            f"claimflow emulate: {e}; install the extras: pip install 'claimflow[emulators]'",
            file=sys.stderr,
        )
        return 1
    if args.marketplace not in EMULATORS:
        print(f"claimflow emulate: no {args.marketplace} emulator yet", file=sys.stderr)
        return 1
    faults: dict[str, float] = {}
    for item in args.fault:
        name, _, value = item.partition("=")
        try:
            faults[name] = float(value)
        except ValueError:
            parser.error(f"--fault {item!r}: expected NAME=NUMBER")
    if "token_ttl" in faults:
        faults["token_ttl"] = int(faults["token_ttl"])
    try:
        fault_config = Faults(**faults)  # type: ignore[arg-type]
    except (TypeError, ClaimflowError) as e:
        parser.error(f"--fault: {e}")
    module = importlib.import_module(EMULATORS[args.marketplace])
    app = module.make_app(faults=fault_config, seed=args.seed, orders=args.orders)
    print(f"claimflow {args.marketplace} emulator on http://127.0.0.1:{args.port}", flush=True)
    serve(app, args.port, control_token=args.control_token)
    return 0


def generated_docs() -> dict[str, str]:
    """The generated documents, by file name under docs/."""
    return {"ops-guide.ko.md": _opsguide.render(), "api.md": _apidoc.render()}


def _run_docs(out: Path, *, check: bool) -> int:
    stale = []
    for name, text in generated_docs().items():
        path = out / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for name in stale:
        print(
            f"{out}/{name}: differs from the generated text; run `claimflow docs`", file=sys.stderr
        )
    return 1 if stale else 0


def _run_diagrams(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    mps = [Marketplace(m) for m in args.marketplace] if args.marketplace else list(Marketplace)
    formats = args.format or list(_diagrams.FORMATS)
    if args.trace:
        if len(mps) != 1:
            parser.error("--trace needs exactly one --marketplace")
        try:
            graphs = _diagrams.trace(mps[0], args.trace)
        except (ClaimflowError, ValueError) as e:
            print(f"claimflow diagrams: {e}", file=sys.stderr)
            return 1
        for g in graphs:
            if g.highlighted:
                print(_diagrams.to_mermaid(g))
        return 0
    if args.check:
        problems = _diagrams.stale(args.out, mps)
        for p in problems:
            print(f"{args.out}/{p}", file=sys.stderr)
        if problems:
            print("run `claimflow diagrams` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    try:
        written = _diagrams.write_all(args.out, mps, formats)
    except FileNotFoundError as e:
        print(
            f"claimflow diagrams: {e}; or pass --format mmd --format dot --format md",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
