"""The ``claimflow`` command line.

Each sub-command is one small block: a ``_add_<name>(sub)`` function that registers its parser and
sets ``run`` to its handler. Another branch adds a command (``worker``, ...) by writing its block
and one line in :func:`_parser`. ``due`` lists what must be handled, soonest first
(:func:`claimflow.due`, rules.md D1-D4), from order products given as JSON or every order product
of a store (``--store URL``). Where ``check`` and ``actions`` read the order product from is a
list of :class:`OrderSource` blocks (``--store URL --id ID``, ``--order FILE``, flags).

Exit status: 0 allowed / done, 1 refused (``check``), stale (``--check``) or overdue (``due``),
2 bad input.
Imports of the engine, cattrs and the generators are local to the handlers, so ``--version`` and
``--help`` do not pay for them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._vocab import Actor, ClaimStatus, ClaimType, Marketplace, PaymentChannel, Status
from .exceptions import ClaimflowError

if TYPE_CHECKING:
    from ._diagrams import Option
    from ._values import Decision, OrderProduct
    from .store import Store

__all__ = ["main"]

OK, REFUSED, BAD_INPUT = 0, 1, 2
#: The JSON output's schema version (docs/cli.md); bumped when a field is removed or renamed.
JSON_SCHEMA_VERSION = 1
#: claimflow._diagrams.FORMATS, repeated so that building the parser imports no engine
DIAGRAM_FORMATS = ("mmd", "dot", "md", "svg")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``claimflow`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.ArgumentParser, argparse.Namespace], int] = args.run
    try:
        return run(parser, args)
    except BrokenPipeError:  # `claimflow actions ... | head`: the reader left; say nothing more
        import os  # noqa: PLC0415

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except ClaimflowError as e:
        print(f"claimflow {args.command}: {e}", file=sys.stderr)
        return BAD_INPUT


class CommandLineError(ClaimflowError):
    """A command-line value that is not acceptable (exit status 2)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("claimflow")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimflow",
        description="Order claim rules for Toss Shopping, imweb and x2bee.",
    )
    parser.add_argument("--version", action="version", version=f"claimflow {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_check(sub)
    _add_actions(sub)
    _add_due(sub)
    _add_demo(sub)
    _add_diagrams(sub)
    _add_docs(sub)
    _add_site(sub)
    _add_emulate(sub)
    _add_oracle(sub)  # claimflow.testing's runner (issue 11)
    _add_store_commands(sub)  # `worker`, `demo --store` (claimflow.store, issue 8)
    return parser


Sub = "argparse._SubParsersAction[argparse.ArgumentParser]"


# --- where the order product comes from -----------------------------------------------------------


class OrderSource(Protocol):
    """A way to give ``check``/``actions`` an order product (flags, a JSON file, the store)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Register this source's options."""

    def read(self, args: argparse.Namespace) -> OrderProduct | None:
        """The order product, when this source's options were given; else None."""


class JsonOrderSource:
    """``--order FILE`` or ``--order -`` (stdin): an order product as JSON (docs/cli.md)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``--order``."""
        parser.add_argument(
            "--order",
            metavar="FILE",
            help="the order product as JSON (docs/cli.md), '-' for stdin; instead of --status",
        )

    def read(self, args: argparse.Namespace) -> OrderProduct | None:
        """The order product read from the file or stdin."""
        if args.order is None:
            return None
        from ._json import loads  # noqa: PLC0415
        from ._values import OrderProduct  # noqa: PLC0415

        try:
            text = sys.stdin.read() if args.order == "-" else Path(args.order).read_text("utf-8")
        except OSError as e:
            msg = f"--order {args.order}: {e.strerror}"
            raise CommandLineError(msg) from None
        op = loads(text, OrderProduct)
        if op.marketplace != args.marketplace:
            msg = f"--order is a {op.marketplace} order product, not {args.marketplace}"
            raise CommandLineError(msg)
        return op


class FlagsOrderSource:
    """``--status S [--claim TYPE:STATUS[:ORIGIN]] ...``: an order product described by flags."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``--status``, ``--claim``, payment and price options."""
        parser.add_argument("--status", choices=[s.value for s in Status], metavar="STATUS")
        parser.add_argument(
            "--claim",
            metavar="TYPE:STATUS[:ORIGIN]",
            help="the open claim, e.g. RETURN:REQUESTED:DELIVERED; ORIGIN (the status it was "
            "requested in) defaults to the first one the rules allow",
        )
        parser.add_argument(
            "--payment-channel", choices=[c.value for c in PaymentChannel], default="normal"
        )
        parser.add_argument(
            "--no-auto-refund",
            action="store_true",
            help="the payment cannot be refunded automatically (bank transfer, virtual account)",
        )
        parser.add_argument("--unit-price", type=int, default=10_000, help="won; default 10000")
        parser.add_argument("--quantity", type=int, default=1)
        parser.add_argument("--item-id", default="ITEM")

    def read(self, args: argparse.Namespace) -> OrderProduct | None:
        """The order product the flags describe."""
        if args.status is None:
            return None
        from ._values import OrderProduct  # noqa: PLC0415

        mp, status = Marketplace(args.marketplace), Status(args.status)
        claim = None if args.claim is None else _claim(mp, status, args.claim)
        return OrderProduct(
            "cli",
            mp,
            status,
            args.item_id,
            args.unit_price,
            quantity=args.quantity,
            payment_channel=args.payment_channel,
            auto_refundable=not args.no_auto_refund,
            open_claim=claim,
        )


class StoreOrderSource:
    """``--store URL --id ORDER_PRODUCT_ID``: the order product as stored (:mod:`claimflow.store`).

    The ``store`` extra is imported only when ``--store`` is given, so the CLI starts fast and
    works without it.
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``--store`` and ``--id``."""
        _add_store_argument(parser, "read the order product --id from this store")
        parser.add_argument(
            "--id", metavar="ORDER_PRODUCT_ID", help="the stored order product's id (with --store)"
        )

    def read(self, args: argparse.Namespace) -> OrderProduct | None:
        """The stored order product *args.id*."""
        if args.store is None and args.id is None:
            return None
        if args.store is None or args.id is None:
            msg = "--store URL and --id ORDER_PRODUCT_ID go together"
            raise CommandLineError(msg)
        with _open_store(args.store) as store:
            op = store.get(args.id)
        if op.marketplace != args.marketplace:
            msg = (
                f"order product {args.id!r} is a {op.marketplace} order product, "
                f"not {args.marketplace}"
            )
            raise CommandLineError(msg)
        return op


#: Tried in order; the first that returns an order product wins.
ORDER_SOURCES: list[OrderSource] = [StoreOrderSource(), JsonOrderSource(), FlagsOrderSource()]


def _add_store_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"{what}: sqlite:///claims.db or postgresql://user@host/db (the store extra)",
    )


def _secrets(url: str) -> list[str]:
    """The password-like parts of *url*, parseable or not: the user part's password (before the
    last ``@``) and ``password=`` query values."""
    import re  # noqa: PLC0415

    found = [m.group(1) for m in re.finditer(r"(?i)password=([^&#]+)", url)]
    if "@" in url:
        userinfo = url.rpartition("@")[0].partition("://")[2] or url.rpartition("@")[0]
        if ":" in userinfo:
            found.append(userinfo.partition(":")[2])
    return sorted((f for f in found if f), key=len, reverse=True)


def _redacted(text: str, url: str) -> str:
    """*text* with every password of *url* replaced by ``***``, and the user part's password of
    any URL in it (up to its last ``@``: a raw ``@`` in a password splits it elsewhere)."""
    import re  # noqa: PLC0415

    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return re.sub(r"(\w[\w+.-]*:?//[^/\s:@'\"]*:)[^\s'\"]*@", r"\1***@", text)


def _open_store(url: str) -> Store:
    """:meth:`claimflow.store.Store.open` on *url*, read-only intent: it must already hold a
    store (no tables are created, no SQLite file is made). Errors name ``--store`` and the URL
    with its password hidden."""
    try:
        from .store import Store  # noqa: PLC0415 - the store extra is optional
    except ImportError as e:
        from .exceptions import MissingExtraError  # noqa: PLC0415

        msg = (
            f"--store needs the 'store' extra (SQLAlchemy; missing: {e.name}): "
            "pip install 'claimflow[store]'"
        )
        raise MissingExtraError(msg, extra="store") from None
    import sqlalchemy as sa  # noqa: PLC0415

    shown = _redacted(url, url)
    try:
        u = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        u = None  # Store.open says what is wrong with it
    if (
        u is not None
        and u.get_backend_name() == "sqlite"
        and u.database not in (None, "", ":memory:")
        and not Path(str(u.database)).is_file()
    ):
        msg = f"--store {shown}: no such SQLite file {u.database!r}"
        raise CommandLineError(msg)
    try:
        return Store.open(url, create=False)
    except ClaimflowError as e:
        msg = _redacted(f"--store {shown}: {e}", url)
        raise CommandLineError(msg) from None
    except sa.exc.DBAPIError as e:  # e.g. a host name that does not resolve
        first = str(e.orig).splitlines()[0] if str(e.orig) else ""
        msg = _redacted(f"--store {shown}: {type(e.orig).__name__}: {first}", url)
        raise CommandLineError(msg) from None


def _add_order_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("marketplace", choices=[m.value for m in Marketplace])
    for source in ORDER_SOURCES:
        source.add_arguments(parser)


def _read_order(args: argparse.Namespace) -> OrderProduct:
    for source in ORDER_SOURCES:
        op = source.read(args)
        if op is not None:
            return op
    msg = (
        "say which order product: --status STATUS [--claim ...], --order FILE, "
        "or --store URL --id ID"
    )
    raise CommandLineError(msg)


def _claim(mp: Marketplace, status: Status, spec: str) -> Any:
    from ._introspect import reachable_states  # noqa: PLC0415

    parts = spec.split(":")
    if not 2 <= len(parts) <= 3:
        msg = f"--claim {spec!r}: expected TYPE:STATUS[:ORIGIN], e.g. RETURN:REQUESTED:DELIVERED"
        raise CommandLineError(msg)
    ctype = _member(ClaimType, parts[0], "--claim TYPE")
    cstatus = _member(ClaimStatus, parts[1], "--claim STATUS")
    origin = _member(Status, parts[2], "--claim ORIGIN") if len(parts) == 3 else None
    fits = [
        c
        for s, c, _ in reachable_states(mp)
        if s is status and c is not None and (c.type, c.status) == (ctype, cstatus)
    ]
    match = [c for c in fits if origin is None or c.origin_status is origin]
    if not match:
        known = sorted(
            {f"{c.type}:{c.status}:{c.origin_status}" for s, c, _ in reachable_states(mp) if c}
            if not fits
            else {f"{c.type}:{c.status}:{c.origin_status}" for c in fits}
        )
        here = [
            f"{c.type}:{c.status}:{c.origin_status}"
            for s, c, _ in reachable_states(mp)
            if s is status and c is not None
        ]
        msg = (
            f"--claim {spec}: no {mp} order product is {status} with that open claim; "
            + (f"with {status}: {', '.join(here)}" if here else f"{status} has no open claim")
            + ("" if here else f" (claims {mp} knows: {', '.join(known)})")
        )
        raise CommandLineError(msg)
    return match[0]


def _member(enum: Any, value: str, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        msg = f"{what}: unknown {value!r}; expected one of {known}"
        raise CommandLineError(msg) from None


def _params(op: OrderProduct, action: Any, items: Sequence[str]) -> dict[str, object]:
    """``--param k=v`` values, typed as the action's parameter takes them (ints, dates, JSON)."""
    import datetime as dt  # noqa: PLC0415

    from ._engine import example_params  # noqa: PLC0415
    from ._values import CandidateItem  # noqa: PLC0415

    examples: dict[str, object] = {}
    with contextlib.suppress(ClaimflowError):
        examples = example_params(op, action)
    out: dict[str, object] = {}
    for item in items:
        name, eq, raw = item.partition("=")
        if not eq or not name:
            msg = f"--param {item!r}: expected NAME=VALUE"
            raise CommandLineError(msg)
        like = examples.get(name)
        try:
            if isinstance(like, bool) or like is None or isinstance(like, str):
                out[name] = raw
            elif isinstance(like, int):
                out[name] = int(raw)
            elif isinstance(like, dt.date):
                out[name] = dt.date.fromisoformat(raw)
            elif isinstance(like, CandidateItem):
                from ._json import loads  # noqa: PLC0415

                out[name] = loads(raw, CandidateItem)
            else:
                out[name] = raw
        except ValueError as e:
            msg = f"--param {name}: {raw!r} is not a {type(like).__name__}: {e}"
            raise CommandLineError(msg) from None
    # optional parameters are not in the examples: integers are the only typed ones (won)
    return {k: (int(v) if isinstance(v, str) and _is_won(k, v) else v) for k, v in out.items()}


def _is_won(name: str, value: str) -> bool:
    return name in {"extra_charge", "refund_points", "refund_amount", "extra_payment"} and (
        value.isdigit()
    )


# --- check --------------------------------------------------------------------------------------


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["ko", "en"], default="ko", help="default: ko")
    parser.add_argument("--json", action="store_true", help="JSON (schema: docs/cli.md)")


def _add_now_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--now",
        type=_now,
        metavar="DATETIME",
        help=f"{what} as of this moment: ISO 8601 with an offset, e.g. "
        "2026-03-02T10:00:00+09:00; default: the clock",
    )


def _now(text: str) -> Any:
    """``--now``: an aware ISO datetime (a naive one could mean Seoul or UTC)."""
    import datetime as dt  # noqa: PLC0415

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not an ISO 8601 datetime, e.g. 2026-03-02T10:00:00+09:00"
        raise argparse.ArgumentTypeError(msg) from None
    if moment.utcoffset() is None:
        msg = f"{text!r} has no offset; add one, e.g. +09:00 for Seoul"
        raise argparse.ArgumentTypeError(msg)
    return moment


def _as_of(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """Decide as of ``--now`` (the time rules read it: rules.md D5), else by the clock."""
    from ._time import decide_as_of  # noqa: PLC0415

    return decide_as_of(args.now)


def _add_check(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="may ACTOR do ACTION on this order product now? exit 0 allowed, 1 refused, "
        "2 bad input",
    )
    _add_order_arguments(p)
    p.add_argument("action", metavar="ACTION", help="e.g. cancel.request")
    p.add_argument("--actor", required=True, choices=[a.value for a in Actor])
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="repeat for several"
    )
    _add_now_argument(p, "decide")
    _add_output_arguments(p)
    p.set_defaults(run=_run_check)


def _action(mp: Marketplace, value: str) -> Any:
    from ._machine import COMPILED  # noqa: PLC0415
    from ._vocab import Action  # noqa: PLC0415

    offered = [a.value for a in Action if a in COMPILED[mp].offered]
    try:
        action = Action(value)
    except ValueError:
        msg = f"unknown action {value!r}; {mp} offers: {', '.join(offered)}"
        raise CommandLineError(msg) from None
    return action


def _run_check(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._engine import check  # noqa: PLC0415

    op = _read_order(args)
    action = _action(op.marketplace, args.action)
    params = _params(op, action, args.param)
    with _as_of(args):
        decision = check(op, action, args.actor, **params)
    if args.json:
        from ._json import params_json, to_json  # noqa: PLC0415

        _print_json(
            {
                "schema": "claimflow.check",
                "version": JSON_SCHEMA_VERSION,
                "order_product": to_json(op),
                # what was asked: a refused decision keeps no parameters of its own
                "params": params_json(tuple(params.items())),
                "decision": to_json(decision),
            }
        )
    else:
        print(_decision_text(op, decision, args.lang))
    return OK if decision.allowed else REFUSED


def _print_json(data: object) -> None:
    import json  # noqa: PLC0415

    print(json.dumps(data, ensure_ascii=False, indent=2))


def _status(s: Status | None, lang: str) -> str:
    if s is None:
        return "—"
    return f"{s.label}({s})" if lang == "ko" else s.value


def _state_text(op: OrderProduct, lang: str) -> str:
    c = op.open_claim
    if lang == "ko":
        claim = (
            "진행 중인 클레임 없음"
            if c is None
            else f"진행 중인 {c.type.label} {c.status.label} 클레임"
            f" ({c.origin_status.label}에서 요청"
            + (f", {c.held_from.label} 단계에서 보류" if c.held_from else "")
            + ")"
        )
        return f"{op.marketplace.label} · {_status(op.status, lang)} · {claim}"
    claim = (
        "no open claim"
        if c is None
        else f"open {c.type} claim {c.status} (requested in {c.origin_status}"
        + (f", held from {c.held_from}" if c.held_from else "")
        + ")"
    )
    return f"{op.marketplace} · {op.status} · {claim}"


def _leads_to(
    to_status: Status | None,
    ctype: ClaimType | None,
    cstatus: ClaimStatus | None,
    lang: str,
) -> str:
    text = _status(to_status, lang)
    if ctype is not None and cstatus is not None:
        text += (
            f", 클레임 {ctype.label} {cstatus.label}"
            if lang == "ko"
            else f", claim {ctype} {cstatus}"
        )
    return text


def _decision_text(op: OrderProduct, d: Decision, lang: str) -> str:
    ko = lang == "ko"
    who = f"{d.actor.label}({d.actor})" if ko else d.actor.value
    head = f"{d.action} ({d.action.label})" if ko else d.action.value
    lines = [_state_text(op, lang)]
    if d.allowed:
        rule = "규칙" if ko else "rule"
        lines.append(f"✓ {'가능' if ko else 'allowed'}: {head} · {who} · {rule} {d.rule_id}")
        arrow = _leads_to(d.to_status, d.claim_type, d.claim_status, lang)
        lines.append(f"  → {arrow}")
        for e in d.effects:
            detail = [f"{e.amount:,}{'원' if ko else ' won'}"] if e.amount is not None else []
            detail += [x for x in (e.carrier, e.tracking_number) if x]
            label = e.kind.label if ko else e.kind.value
            lines.append(f"  {'효과' if ko else 'effect'}: {label} {' '.join(detail)}".rstrip())
    else:
        lines.append(f"✗ {'불가' if ko else 'refused'}: {head} · {who}")
        for r in d.reasons:
            msg = r.message_ko if ko else r.message_en
            rule = f" [{r.rule_id}]" if r.rule_id else ""
            lines.append(f"  - {r.code}: {msg}{rule}")
    return "\n".join(lines)


# --- actions ------------------------------------------------------------------------------------


def _add_actions(sub: Any) -> None:
    p = sub.add_parser(
        "actions",
        help="what each actor may do now on this order product, where it leads, and why not",
    )
    _add_order_arguments(p)
    p.add_argument(
        "--actor",
        action="append",
        choices=[a.value for a in Actor],
        help="repeat for several; default: all",
    )
    p.add_argument("--allowed-only", action="store_true", help="leave out the refused actions")
    _add_now_argument(p, "decide")
    _add_output_arguments(p)
    p.set_defaults(run=_run_actions)


def _run_actions(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._diagrams import options  # noqa: PLC0415

    op = _read_order(args)
    actors = [Actor(a) for a in args.actor] if args.actor else list(Actor)
    with _as_of(args):
        by_actor = {
            a: [o for o in options(op, a) if o.allowed or not args.allowed_only] for a in actors
        }
    if args.json:
        from ._json import to_json  # noqa: PLC0415

        _print_json(
            {
                "schema": "claimflow.actions",
                "version": JSON_SCHEMA_VERSION,
                "order_product": to_json(op),
                "actors": [
                    {"actor": a.value, "options": [to_json(o) for o in opts]}
                    for a, opts in by_actor.items()
                ],
            }
        )
        return OK
    print(_state_text(op, args.lang))
    for a, opts in by_actor.items():
        print(_actor_text(a, opts, args.lang))
    return OK


def _actor_text(actor: Actor, opts: Sequence[Option], lang: str) -> str:
    ko = lang == "ko"
    lines = [f"\n{actor.label}({actor})" if ko else f"\n{actor}"]
    allowed = [o for o in opts if o.allowed]
    refused = [o for o in opts if not o.allowed]
    lines.append(f"  {'가능' if ko else 'allowed'}:" + ("" if allowed else " —"))
    for o in allowed:
        name = f"{o.action} ({o.action.label})" if ko else o.action.value
        needs = (
            f"  {'필요한 값' if ko else 'needs'}: {', '.join(o.required_params)}"
            if o.required_params
            else ""
        )
        effects = f"  [{', '.join(o.effects)}]" if o.effects else ""
        arrow = _leads_to(o.to_status, o.claim_type, o.claim_status, lang)
        rule = "규칙" if ko else "rule"
        lines.append(f"    ✓ {name} → {arrow} · {rule} {o.rule_id}{effects}{needs}")
    if refused:
        lines.append(f"  {'불가' if ko else 'refused'}:")
    for o in refused:
        name = o.action.value
        why = "; ".join((r.message_ko if ko else r.message_en) for r in o.reasons)
        rule = f" [{o.rule_id}]" if o.rule_id else ""
        lines.append(f"    ✗ {name}: {why}{rule}")
    return "\n".join(lines)


# --- due ----------------------------------------------------------------------------------------


def _add_due(sub: Any) -> None:
    p = sub.add_parser(
        "due",
        help="what must be handled, soonest first: open claims and order products with their "
        "next deadline (Toss: automatic approval, auto-confirm, shipping, penalty; rules.md "
        "D1-D4) and the actions allowed now; exit 1 when a deadline has passed",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--order",
        metavar="FILE",
        help="order products as JSON (docs/cli.md): a list or one object; '-' for stdin",
    )
    _add_store_argument(source, "every order product in this store")
    p.add_argument(
        "--actor",
        choices=[a.value for a in Actor],
        default=Actor.SELLER.value,
        help="whose allowed actions to list; default: SELLER",
    )
    p.add_argument(
        "--preparation-days",
        type=int,
        default=3,
        metavar="N",
        help="the shop's Toss preparationDays (D3: ship within N business days of payment, "
        "0-14); default: 3",
    )
    p.add_argument(
        "--shop-holiday",
        action="append",
        default=[],
        metavar="YYYY-MM-DD",
        help="a day the shop is closed (not a business day); repeat for several",
    )
    _add_now_argument(p, "count")
    _add_output_arguments(p)
    p.set_defaults(run=_run_due)


def _read_orders(spec: str) -> list[OrderProduct]:
    import json  # noqa: PLC0415

    from ._json import from_json  # noqa: PLC0415
    from ._values import OrderProduct  # noqa: PLC0415

    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text("utf-8")
    except OSError as e:
        msg = f"--order {spec}: {e.strerror}"
        raise CommandLineError(msg) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        msg = f"--order {spec}: not JSON: {e}"
        raise CommandLineError(msg) from None
    if isinstance(data, dict):
        return [from_json(data, OrderProduct)]
    if not isinstance(data, list):
        msg = f"--order {spec}: expected an order product (an object) or a list of them"
        raise CommandLineError(msg)
    out = []
    for i, item in enumerate(data):
        try:
            out.append(from_json(item, OrderProduct))
        except ClaimflowError as e:
            msg = f"--order {spec}: item {i}: {e}"
            raise CommandLineError(msg) from None
    return out


def _run_due(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import datetime as dt  # noqa: PLC0415

    from ._engine import allowed_actions  # noqa: PLC0415
    from ._time import BusinessCalendar, due  # noqa: PLC0415
    from ._vocab import SEOUL  # noqa: PLC0415

    days = []
    for text in args.shop_holiday:
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            msg = f"--shop-holiday {text!r}: expected a date YYYY-MM-DD"
            raise CommandLineError(msg) from None
    calendar = BusinessCalendar(shop_holidays=frozenset(days))
    now = args.now or dt.datetime.now(SEOUL)
    actor = Actor(args.actor)
    entries = []
    with _as_of(args), contextlib.ExitStack() as stack:
        orders: Iterable[OrderProduct]
        if args.store is not None:
            orders = stack.enter_context(_open_store(args.store)).order_products()
        else:
            orders = _read_orders(args.order)
        for op in orders:
            deadlines = due(op, now, calendar=calendar, preparation_days=args.preparation_days)
            if not deadlines and op.open_claim is None:
                continue  # nothing to handle and nothing the marketplace will do by itself
            entries.append((op, deadlines, tuple(allowed_actions(op, actor))))
    # soonest first; open claims without a deadline (imweb, x2bee) after every deadline
    entries.sort(key=lambda e: (not e[1], e[1][0].due_at if e[1] else None, e[0].id))
    overdue = any(d.overdue for _, ds, _ in entries for d in ds)
    if args.json:
        from ._json import to_json  # noqa: PLC0415

        _print_json(
            {
                "schema": "claimflow.due",
                "version": JSON_SCHEMA_VERSION,
                "now": now.isoformat(),
                "actor": actor.value,
                "overdue": overdue,
                "order_products": [
                    {
                        "order_product": to_json(op),
                        "next": ds[0].as_dict() if ds else None,
                        "deadlines": [d.as_dict() for d in ds],
                        "allowed_actions": [a.value for a in acts],
                    }
                    for op, ds, acts in entries
                ],
            }
        )
    else:
        print(_due_text(now, actor, entries, args.lang))
    return REFUSED if overdue else OK


def _no_deadline_text(op: OrderProduct, ko: bool) -> str:
    from ._guides import GUIDES  # noqa: PLC0415

    if not GUIDES[op.marketplace].timers:  # rules.md: imweb and x2bee document no such timers
        return (
            f"기한 없음 ({op.marketplace.label}에는 자동 처리 기한이 없습니다)"
            if ko
            else f"no deadline ({op.marketplace} documents no timers)"
        )
    # a rule applies but the moment it counts from is unknown, or no rule applies in this state
    claim = op.open_claim
    missing: str | None = None
    if claim is not None and claim.status is ClaimStatus.REQUESTED and claim.requested_at is None:
        missing = "requested_at"  # D1/D4
    elif op.status is Status.DELIVERED and claim is None and op.delivered_at is None:
        missing = "delivered_at"  # D2
    elif (
        op.status in {Status.PAID, Status.PREPARING, Status.DELAYED}
        and op.shipping_deadline is None
        and op.paid_at is None
    ):
        missing = "paid_at"  # D3
    if missing is not None:
        return (
            f"기한을 셀 수 없음 (기준 시각 {missing}이 없습니다)"
            if ko
            else f"deadline unknown (no {missing} to count from)"
        )
    return "지금 상태에는 기한이 없음" if ko else "nothing due in this state"


def _due_text(now: Any, actor: Actor, entries: Sequence[Any], lang: str) -> str:
    from ._vocab import SEOUL  # noqa: PLC0415

    ko = lang == "ko"
    stamp = now.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    lines = [f"기준 시각: {stamp} (서울)" if ko else f"as of {stamp} (Seoul)"]
    if not entries:
        lines.append("처리할 클레임이나 기한이 없습니다." if ko else "nothing due, no open claim")
    for op, deadlines, actions in entries:
        lines.append("")
        lines.append(f"{op.id} · {_state_text(op, lang)}")
        if not deadlines:
            lines.append("  " + _no_deadline_text(op, ko))
        for d in deadlines:
            lines.append("  " + _deadline_text(d, ko, op.marketplace))
        names = ", ".join(a.value for a in actions) or "—"
        who = f"{actor.label}({actor})" if ko else actor.value
        lines.append(f"  {'가능' if ko else 'allowed'} · {who}: {names}")
    return "\n".join(lines)


def _deadline_text(d: Any, ko: bool, marketplace: Marketplace) -> str:
    from ._korean import attach  # noqa: PLC0415

    mark = "!" if d.overdue else "-"
    if ko:
        text = f"{mark} {d.last_day.isoformat()} 24:00까지 · {d.kind.label} ({d.rule_id})"
        if d.system_action is not None:
            action, who = d.system_action, attach(marketplace.label, "이/가")
            text += f" · 기한이 지나면 {who} 자동 {action.label}({action})"
        if d.penalty_points:
            text += f" · 놓치면 벌점 {d.penalty_points}점"
        if d.overdue and d.system_action is not None:
            return text + " · 기한 지남: 이미 처리되었을 수 있으니 마켓의 상태를 확인하세요"
        return text + (" · 기한 지남" if d.overdue else "")
    text = f"{mark} by end of {d.last_day.isoformat()} · {d.kind.label_en} ({d.rule_id})"
    if d.system_action is not None:
        text += f" · then {marketplace.label_en} does {d.system_action}"
    if d.penalty_points:
        text += f" · missing it costs {d.penalty_points} penalty point"
        text += "s" if d.penalty_points > 1 else ""
    if d.overdue and d.system_action is not None:
        return text + f" · OVERDUE: {marketplace.label_en} may have done it already; reconcile"
    return text + (" · OVERDUE" if d.overdue else "")


# --- demo, emulate ------------------------------------------------------------------------------


def _add_demo(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="walk one order product per marketplace through a cancel, a return and an "
        "exchange (offline)",
    )
    p.set_defaults(run=_run_demo)


def _run_demo(_parser: argparse.ArgumentParser, _args: argparse.Namespace) -> int:
    from ._demo import run  # noqa: PLC0415

    run()
    return OK


def _emulator_credentials(marketplace: Marketplace) -> tuple[str, ...] | None:
    """``claimflow.emulators.<marketplace>.CREDENTIALS`` read from the module's source, not
    imported: building the parser must not import the emulators extra (starlette, uvicorn). As
    PyPA's "single-sourcing the package version" reads ``__version__``: the assignment's items are
    string literals or names of the module's string constants. None when the source is not
    there or the assignment is not of that form (tests/test_hostile_emulators.py holds it to
    the imported value)."""
    import ast  # noqa: PLC0415
    import re  # noqa: PLC0415

    try:
        text = (Path(__file__).parent / "emulators" / f"{marketplace.value}.py").read_text("utf-8")
    except OSError:
        return None
    found = re.search(r"^CREDENTIALS = \(([^()\n]*)\)$", text, re.MULTILINE)
    if found is None:
        return None
    constants = dict(re.findall(r'^([A-Z][A-Z0-9_]*) = ("[^"\n]*")$', text, re.MULTILINE))
    items = [item.strip() for item in found.group(1).split(",") if item.strip()]
    try:
        values = [ast.literal_eval(constants.get(item, item)) for item in items]
    except (ValueError, SyntaxError):
        return None
    return tuple(values) if values and all(isinstance(v, str) for v in values) else None


def _emulate_help() -> str:
    said = []
    for mp in Marketplace:
        credentials = _emulator_credentials(mp)
        if credentials is not None:
            said.append(f"{mp.value} {' / '.join(credentials)}")
    accepted = f"; default credentials: {'; '.join(said)}" if said else ""
    return (
        "serve a marketplace emulator on 127.0.0.1 (needs the emulators extra)"
        f"{accepted} (which is which: docs/emulators.md)"
    )


def _port(value: str) -> int:
    """A TCP port for argparse: a bad one is a usage error (exit 2), not a bind traceback."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:  # the TCP port range
        msg = f"not a TCP port (0-65535): {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return port


def _add_emulate(sub: Any) -> None:
    said = _emulate_help()
    emulate = sub.add_parser("emulate", help=said, description=said[0].upper() + said[1:] + ".")
    emulate.add_argument("marketplace", choices=[m.value for m in Marketplace])
    emulate.add_argument(
        "--port", type=_port, default=8080, help="0-65535 (0: any free); default: 8080"
    )
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
    emulate.add_argument(  # issue 13: protect the /_emulator/ control API
        "--control-token",
        default=None,
        help="require this token (header X-Emulator-Control-Token) on /_emulator/ paths; "
        "default: none (the emulator listens on 127.0.0.1 only)",
    )
    emulate.set_defaults(run=_run_emulate)


def _add_store_commands(sub: Any) -> None:
    """``claimflow worker`` and ``claimflow demo --store`` (claimflow.store, imported when run)."""
    from ._demo import register_store_commands  # noqa: PLC0415

    register_store_commands(sub)


def _add_oracle(sub: Any) -> None:
    """``claimflow oracle``: check an order system's binding against the rules (testing extra)."""
    oracle = sub.add_parser(
        "oracle",
        help="check your order system (a claimflow.testing binding) against the rules: a "
        "coverage sweep, then random journeys (needs the testing extra)",
    )
    oracle.add_argument("system", metavar="MODULE:FACTORY", help="e.g. my_oms:Binding")
    oracle.add_argument("--marketplace", required=True, choices=[m.value for m in Marketplace])
    oracle.add_argument("--steps", type=int, default=5000, help="random steps; default: 5000")
    oracle.add_argument("--seconds", type=float, default=None, help="time budget of the run")
    oracle.add_argument("--seed", type=int, default=0, help="default: 0")
    oracle.add_argument("--no-sweep", action="store_true", help="skip the coverage sweep")

    def run(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
        from .testing import oracle_command  # noqa: PLC0415 - needs hypothesis

        return oracle_command(
            args.system,
            args.marketplace,
            steps=args.steps,
            seconds=args.seconds,
            seed=args.seed,
            sweep_first=not args.no_sweep,
        )

    oracle.set_defaults(run=run)


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


# --- generators: docs, diagrams, site -----------------------------------------------------------


def _add_generator_arguments(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument(
        "--out",
        type=Path,
        default=Path(default_out),
        help=f"default: ./{default_out}; files there that claimflow did not generate are never "
        "overwritten",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite files even when they lack claimflow's 'generated' marker",
    )


def _add_docs(sub: Any) -> None:
    p = sub.add_parser(
        "docs", help="regenerate the Korean ops guide and the API reference under docs/"
    )
    _add_generator_arguments(p, "docs")
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the files are stale"
    )
    p.set_defaults(run=_run_docs)


def generated_docs() -> dict[str, str]:
    """The generated documents, by file name under docs/."""
    from . import _apidoc, _opsguide  # noqa: PLC0415

    return {"ops-guide.ko.md": _opsguide.render(), "api.md": _apidoc.render()}


def _run_docs(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._diagrams import stale_files  # noqa: PLC0415

    files: dict[str, str | bytes] = dict(generated_docs())
    if args.check:
        stale = stale_files(args.out, files)
        for p in stale:
            print(f"{args.out}/{p}; run `claimflow docs`", file=sys.stderr)
        return 1 if stale else OK
    return _write(args, files, "docs")


def _write(args: argparse.Namespace, files: dict[str, str | bytes], command: str) -> int:
    from ._diagrams import NotGeneratedError, write_generated  # noqa: PLC0415

    try:
        written = write_generated(args.out, files, force=args.force)
    except NotGeneratedError as e:
        print(f"claimflow {command}: {e}", file=sys.stderr)
        return BAD_INPUT
    print(f"wrote {len(written)} files under {args.out}")
    return OK


def _add_diagrams(sub: Any) -> None:
    p = sub.add_parser(
        "diagrams",
        help="regenerate the state diagrams and transition tables from the machines",
    )
    _add_generator_arguments(p, "diagrams")
    p.add_argument(
        "--format",
        action="append",
        choices=DIAGRAM_FORMATS,
        help="repeat for several; default: all (svg needs Graphviz's dot)",
    )
    p.add_argument(
        "--marketplace",
        action="append",
        choices=[m.value for m in Marketplace],
        help="repeat for several; default: all",
    )
    p.add_argument(
        "--lang",
        choices=["ko", "en"],
        default="ko",
        help="edge labels in Korean (default) or English; the checked-in files are Korean",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the text outputs under --out are not what the code "
        "generates",
    )
    p.add_argument(
        "--trace",
        nargs="+",
        metavar="ACTION[@ACTOR]",
        help="draw one claim's journey from 결제완료 over the machines of one --marketplace "
        "(Mermaid to stdout, or files with --out)",
    )
    p.set_defaults(run=_run_diagrams)


def _run_diagrams(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from . import _diagrams  # noqa: PLC0415

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
                print(_diagrams.to_mermaid(g, lang=args.lang))
        return 0
    if args.check:
        problems = _diagrams.stale(args.out, mps)
        for p in problems:
            print(f"{args.out}/{p}", file=sys.stderr)
        if problems:
            print("run `claimflow diagrams` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    try:
        files = _diagrams.outputs(mps, formats, lang=args.lang)
    except FileNotFoundError as e:
        print(
            f"claimflow diagrams: {e}; or pass --format mmd --format dot --format md",
            file=sys.stderr,
        )
        return 1
    return _write(args, files, "diagrams")


def _add_site(sub: Any) -> None:
    p = sub.add_parser(
        "site",
        help="generate the rule explorer: a static HTML site (offline, file:// works); needs "
        "Graphviz's dot",
    )
    _add_generator_arguments(p, "site")
    p.set_defaults(run=_run_site)


def _run_site(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._site import build  # noqa: PLC0415

    try:
        files = build()
    except FileNotFoundError as e:
        print(f"claimflow site: {e}", file=sys.stderr)
        return 1
    return _write(args, files, "site")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
