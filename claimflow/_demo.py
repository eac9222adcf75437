"""The offline demo: one order product per marketplace through a cancel, a return and an exchange.

Before every step it prints what each actor may do, then the decision and the new state; refused
steps are printed with their reasons in Korean and English and change nothing. No network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ._engine import allowed_actions, apply, check, example_params
from ._values import Decision, OrderProduct
from ._vocab import Action, Actor, EffectKind, Marketplace, Status
from .exceptions import ClaimflowError

Step = tuple[str, Actor, dict[str, Any]]

DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "1022-5765-4265"}
NEW_INVOICE = {"carrier": "롯데택배", "tracking_number": "2400-1234-5678"}
B, S, Y = Actor.BUYER, Actor.SELLER, Actor.SYSTEM


#: A walk takes a step (action, actor, parameters) and says whether the rules allowed it.
Walk = Callable[[str, Actor, dict[str, Any]], bool]


def _cancel(step: Walk) -> None:
    # where the buyer's cancel is processed at once (x2bee X1) the walk ends with it
    step("order.prepare", S, {})
    step("cancel.request", B, {"reason": "단순 변심"})
    step("order.ship", S, DELIVERY)  # refused while the cancel request is open (F3)
    step("cancel.approve", S, {})


def _return(step: Walk) -> None:
    step("order.prepare", S, {})
    step("order.ship", S, DELIVERY)
    step("order.deliver", Y, {})
    step("cancel.request", B, {"reason": "단순 변심"})  # refused: delivered, return instead
    step("return.request", B, {"reason": "사이즈가 맞지 않음"})
    step("return.approve", S, {})
    step("return.collect", S, {})
    if step("return.reject_collected", S, {"reason": "사용 흔적이 있어 반품 불가"}):
        step("order.confirm", B, {})
    else:  # no 반려 in these rules (imweb): finish with the refund instead
        step("return.complete", S, {})
        step("return.refund_succeeded", Y, {})


def _exchange(step: Walk) -> None:
    step("order.prepare", S, {})
    step("order.ship", S, DELIVERY)
    step("order.deliver", Y, {})
    step("exchange.request", B, {"reason": "색상 교환"})
    step("exchange.approve", S, {})
    step("exchange.collect", S, {})
    step("exchange.redeliver", S, DELIVERY)
    step("exchange.change_invoice", S, NEW_INVOICE)  # imweb: not offered
    step("exchange.complete", S, {})
    step("return.request", B, {"reason": "교환 후에도 불량"})  # EXCHANGED is not terminal


def _params(op: OrderProduct, action: str, given: dict[str, Any]) -> dict[str, Any]:
    """*given*, completed with the values the marketplace's rules require besides (imweb's
    reason code)."""
    return {**example_params(op, action), **given}


def _fmt_state(op: OrderProduct) -> str:
    c = op.open_claim
    claim = "" if c is None else f" + {c.type.label} 클레임 {c.status.label}({c.status})"
    return f"{op.status.label}({op.status}){claim} v{op.version}"


def _fmt_decision(d: Decision) -> str:
    if not d.allowed:
        lines = [f"    ✗ 불가 / refused  {d.action} by {d.actor}"]
        for r in d.reasons:
            lines.append(f"        [{r.code}{', ' + r.rule_id if r.rule_id else ''}]")
            lines.append(f"        ko: {r.message_ko}")
            lines.append(f"        en: {r.message_en}")
        return "\n".join(lines)
    r = d.reasons[0]
    effects = ", ".join(
        e.kind
        + (f" {e.amount:,}원" if e.amount is not None else "")
        + (f" {e.carrier} {e.tracking_number}" if e.carrier else "")
        for e in d.effects
    )
    claim = f", claim {d.claim_type} → {d.claim_status}" if d.claim_type else ""
    return (
        f"    ✓ {d.action} by {d.actor}: → {d.to_status}{claim}"
        f"{'; effects: ' + effects if effects else ''}\n"
        f"        rule {r.rule_id} ({r.tag}, {r.source})"
    )


def run(out: Callable[[str], None] = print) -> None:
    """Print the demo walk for every marketplace."""
    at = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    for mp in Marketplace:
        out(f"\n===== {mp.label} ({mp}) =====")
        for title, walk in (
            ("취소 / cancel", _cancel),
            ("반품 / return", _return),
            ("교환 / exchange", _exchange),
        ):
            op = OrderProduct(f"{mp}-{title[:2]}", mp, Status.PAID, "SKU-RED-M", 29_000)
            out(f"\n--- {title}: order product {op.id}, {op.unit_price:,}원 ---")

            def step(action: str, actor: Actor, given: dict[str, Any]) -> bool:
                nonlocal op
                if op.status.terminal:  # the walk ended early (a cancel processed at once)
                    return False
                params = _params(op, action, given)
                may = " | ".join(f"{a}: {', '.join(allowed_actions(op, a)) or '-'}" for a in Actor)
                out(f"  [{_fmt_state(op)}]  may: {may}")
                decision = check(op, Action(action), actor, **params)
                out(_fmt_decision(decision))
                if decision.allowed:
                    op = apply(
                        op, Action(action), actor, expected_version=op.version, at=at, **params
                    ).order_product
                return decision.allowed

            walk(step)
            out(
                f"  ⇒ {_fmt_state(op)}; closed claims: "
                + (", ".join(f"{c.type}:{c.status}" for c in op.closed_claims) or "none")
            )


# --- the whole loop: emulators -> sync -> store -> actions -> effects -> history -----------------

#: What buyers did in each marketplace's app before the shop's system looked: an order product
#: in a status, at a price, and the request its buyer made (the same on every marketplace).
SEEDS: tuple[tuple[Status, int, str, str], ...] = (
    (Status.PREPARING, 29_000, "cancel.request", "단순 변심"),
    (Status.DELIVERED, 45_000, "return.request", "사이즈가 맞지 않음"),
)

#: (marketplace, order product id, action, actor, parameters): the decisions in the demo
Plan = list[tuple[Marketplace, str, str, str, dict[str, Any]]]

#: A buyer's request the demo makes through the adapter, by order product id: (action, reason).
Requests = dict[str, tuple[str, str]]


@runtime_checkable
class _CostsCancels(Protocol):
    """An adapter that says what a buyer's cancel costs before it is made (x2bee
    ``claimCalculateCostFO``, rule X1): the cancel then states the calculated amounts."""

    def calculate_cost(self, ref: Any) -> Any:
        """The refund or extra payment cancelling *ref*'s order product comes to (``params``
        for ``cancel.request``)."""


def _seed_emulators(
    store: Any, emulators: Mapping[Marketplace, Any], adapters: Mapping[Marketplace, Any]
) -> tuple[list[tuple[Marketplace, str]], Requests]:
    """:data:`SEEDS` in every marketplace's emulator (ids ``T-1001``, ``I-2001``, ...) through
    its module's ``seed_order_product``; a marketplace without lists to poll (x2bee) has its
    order products put in *store* as the shop's system records orders as they come in. A buyer's
    cancel on a marketplace whose adapter calculates its cost is left to the demo's storefront
    call (:func:`_cost_requests`); the other requests are made in the emulators. Returns the
    order products (marketplace, id) and the requests left to make."""
    from .adapters import MODULES  # noqa: PLC0415
    from .emulators import MODULES as EMULATORS  # noqa: PLC0415

    lines: list[tuple[Marketplace, str]] = []
    later: Requests = {}
    for n, (mp, emulator) in enumerate(emulators.items(), start=1):
        for i, (status, price, request, reason) in enumerate(SEEDS, start=1):
            wanted = OrderProduct(
                f"{mp.value[0].upper()}-{n}{i:03d}", mp, status, "SKU-RED-M", price
            )
            record, ref = EMULATORS[mp].seed_order_product(emulator, wanted, keep_id=True)
            if MODULES[mp].LISTS == "none":  # as the order came in: version 0, no history yet
                store.put(attrs.evolve(wanted, id=record.op.id), order_id=ref.order_id)
            lines.append((mp, record.op.id))
            if request == "cancel.request" and isinstance(adapters[mp], _CostsCancels):
                later[record.op.id] = (request, reason)
                continue
            emulator.buyer(record.op.id, request, **_params(record.op, request, {"reason": reason}))
    return lines, later


def _cost_requests(
    store: Any,
    adapters: Mapping[Marketplace, Any],
    lines: list[tuple[Marketplace, str]],
    later: Requests,
    out: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """The buyer's cancels left to the storefront: each one's cost as the marketplace calculates
    it (printed), and the parameters the cancel states it with, by order product id."""
    from .store import ref_of  # noqa: PLC0415

    given: dict[str, dict[str, Any]] = {}
    for mp, op_id in lines:
        if op_id not in later:
            continue
        request, reason = later[op_id]
        cost = adapters[mp].calculate_cost(ref_of(store, op_id))
        out(
            f"  {mp} {op_id}: calculate_cost before the buyer's {request}: refund "
            f"{cost.refund_amount:,}원, extra payment {cost.extra_payment:,}원"
        )
        given[op_id] = _params(store.get(op_id), request, {"reason": reason, **cost.params})
    return given


def _plan(
    store: Any,
    lines: list[tuple[Marketplace, str]],
    later: Requests,
    given: Mapping[str, dict[str, Any]],
) -> Plan:
    """The buyer's storefront requests with their parameters (*later*, *given*), and the seller
    approving every open claim the sync brought in, where the rules let it."""
    plan: Plan = []
    for mp, op_id in lines:
        if op_id in later:
            plan.append((mp, op_id, later[op_id][0], B.value, given[op_id]))
            continue
        op = store.get(op_id)
        if op.open_claim is None:
            continue
        action = f"{op.open_claim.type.value.lower()}.approve"
        if action in allowed_actions(op, S):
            plan.append((mp, op_id, action, S.value, {}))
    return plan


def _decide(store: Any, adapters: Any, plan: Plan, out: Callable[[str], None]) -> None:
    from .exceptions import OutcomeUnknownError  # noqa: PLC0415
    from .store import ref_of  # noqa: PLC0415

    for mp, op_id, action, actor, params in plan:
        try:
            done = store.apply_remote(
                adapters[mp], op_id, action, actor, ref=ref_of(store, op_id), **params
            )
        except OutcomeUnknownError:
            out(f"  {mp} {op_id}: {action} → the answer was lost: the intent stays SENT")
        except ClaimflowError as exc:
            out(f"  {mp} {op_id}: {action} refused: {exc}")
        else:
            out(f"  {mp} {op_id}: {action} → {_fmt_state(done.order_product)}")


def _show_history(
    store: Any, lines: list[tuple[Marketplace, str]], out: Callable[[str], None]
) -> int:
    refunds = 0
    for mp, op_id in lines:
        out(f"  {mp} {op_id}: {_fmt_state(store.get(op_id))}")
        for e in store.history(op_id):
            kinds = [x.kind for x in e.effects]
            refunds += kinds.count(EffectKind.REFUND)
            tail = f"; {', '.join(kinds)}" if kinds else ""
            out(f"    v{e.version} {e.action} by {e.actor}: {e.from_status} → {e.to_status}{tail}")
    return refunds


def run_store_demo(path: str | None = None, out: Callable[[str], None] = print) -> int:
    """The whole loop, offline: an emulator per marketplace served in this process on 127.0.0.1,
    their claims synced into a SQLite store (*path*, default a temporary file), the buyer's
    storefront cancel where the adapter calculates its cost first (printed; x2bee X1) and the
    seller's approvals carried out through the adapters with the store's commit protocol (one
    answer lost on the way, so the reconcile worker judges it), effects delivered through a
    printing handler, and the stored history shown. Needs the ``store`` and ``emulators`` extras;
    no credentials."""
    import contextlib  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from .emulators import MODULES as EMULATORS  # noqa: PLC0415
    from .emulators import Fault, serve_in_thread  # noqa: PLC0415
    from .store import (  # noqa: PLC0415
        Store,
        describe_effect,
        make_adapter,
        reconcile_pending,
        run_effects,
        sync,
    )

    with contextlib.ExitStack() as stack:
        if path is None:
            path = stack.enter_context(tempfile.TemporaryDirectory()) + "/claims.db"
        store = stack.enter_context(Store.open(f"sqlite:///{path}"))
        emulators = {mp: EMULATORS[mp].make_emulator() for mp in Marketplace}
        adapters = {
            mp: stack.enter_context(
                make_adapter(mp, stack.enter_context(serve_in_thread(e.app)).url, emulator=True)
            )
            for mp, e in emulators.items()
        }
        lines, later = _seed_emulators(store, emulators, adapters)
        out(f"\n===== the whole loop on a store: sqlite:///{path} =====")

        out("\n[1] sync: the marketplaces' claim and order lists into the store")
        for adapter in adapters.values():
            out(f"  {sync(store, adapter, pace=0).summary()}")  # the emulators set no rate limit

        out(
            "\n[2] the buyers' storefront cancels and the seller's decisions, each call through "
            "the store's commit protocol"
        )
        given = _cost_requests(store, adapters, lines, later, out)
        first = next(iter(emulators.values()))
        first.inject(Fault.DROP_AFTER_COMMIT, on="write")  # its first answer is lost
        quiet = logging.getLogger("uvicorn.error")  # the dropped connection is the point here
        stack.callback(quiet.setLevel, quiet.level)
        quiet.setLevel(logging.CRITICAL)
        _decide(store, adapters, _plan(store, lines, later, given), out)

        out("\n[3] the reconcile worker judges the intents left in flight")
        stats: Counter[str] = Counter()
        reconcile_pending(store, adapters, in_flight_for=0.0, stats=stats)
        for key, n in sorted(stats.items()):
            out(f"  {key}: {n}")

        out("\n[4] effects, through a printing handler (the key is the idempotency key)")
        delivery = run_effects(
            store, dict.fromkeys(EffectKind, lambda effect: out(describe_effect(effect)))
        )
        out(f"  delivered {delivery.done}, retried {delivery.retried}, dead {delivery.dead}")

        out("\n[5] the stored history")
        stored = _show_history(store, lines, out)
        refunds = sum(len(emulators[mp].store.refunds(op_id)) for mp, op_id in lines)
        out(f"\n  refunds: on the marketplaces {refunds}, REFUND events in the store {stored}")
    return 0


# --- the command line: `claimflow worker` and `claimflow demo --store PATH` ---------------------


def register_store_commands(sub: Any) -> None:
    """Add ``claimflow worker`` and ``claimflow demo --store PATH`` to the ``claimflow``
    sub-parsers *sub*; each sets ``args.run`` (the CLI calls it with the parser and the
    arguments). Importing claimflow.store waits until a command runs: the core CLI works without
    the extras."""
    demo = sub.choices.get("demo")
    if demo is not None:
        demo.add_argument(
            "--store",
            metavar="PATH",
            help="then run the whole loop (emulators, sync, store, effects) on this SQLite file "
            "(a path or sqlite:///PATH); "
            "default: a temporary one (needs the store and emulators extras)",
        )
        demo.set_defaults(run=_demo_command)
    worker = sub.add_parser(
        "worker",
        help="run the reconcile, sync and effect loops against a store until SIGTERM "
        "(needs the store and adapters extras); credentials come from the environment",
    )
    add_worker_arguments(worker)
    worker.set_defaults(run=_worker_command)


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``claimflow worker``."""
    mps = [m.value for m in Marketplace]
    parser.add_argument(
        "--store",
        required=True,
        metavar="URL",
        help="sqlite:///claims.db or postgresql://user@host/db",
    )
    parser.add_argument(
        "--marketplace", action="append", required=True, choices=mps, help="repeat for several"
    )
    parser.add_argument(
        "--base-url",
        action="append",
        default=[],
        metavar="[MP=]URL",
        help="the marketplace's API root (default: its public one)",
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="the base URL is a `claimflow emulate` server (its credentials)",
    )
    parser.add_argument(
        "--sync-every",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds between syncs; 0: no sync loop (default: 60)",
    )
    parser.add_argument("--reconcile-every", type=float, default=1.0, metavar="S")
    parser.add_argument(
        "--lease",
        type=float,
        default=60.0,
        metavar="S",
        help="lease of claimed intents and effects (default: 60)",
    )
    parser.add_argument(
        "--in-flight-for",
        type=float,
        default=60.0,
        metavar="S",
        help="how long an unanswered write may still arrive (default: 60)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=None,
        metavar="S",
        help="pause between list pages / reads (default: per marketplace)",
    )
    parser.add_argument("--shard", metavar="I/N", help="this worker's share of the order ids")
    parser.add_argument(
        "--handlers",
        metavar="MODULE:ATTR",
        help="effect handlers: a mapping EffectKind -> callable, or a factory",
    )
    parser.add_argument(
        "--print-effects", action="store_true", help="deliver every effect by printing it (demos)"
    )
    parser.add_argument("--upgrade", action="store_true", help="upgrade an older schema")
    parser.add_argument("--once", action="store_true", help="one round of each loop, then exit")


def _demo_command(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.store and args.store.startswith("sqlite:///"):
        # the URL `claimflow check --store` takes names the same file: accept it here too
        args.store = args.store.removeprefix("sqlite:///") or None
    if args.store and "://" in args.store:
        print(
            f"claimflow demo --store: {args.store.split('://')[0]}:// is not a SQLite file: "
            "give a path (or sqlite:///PATH); the demo runs on the embedded SQLite default",
            file=sys.stderr,
        )
        return 2
    if args.store and os.path.exists(args.store):
        print(
            f"claimflow demo --store: {args.store} exists; the demo's emulators start empty on "
            "every run, so it writes a new file: give another path",
            file=sys.stderr,
        )
        return 2
    run()
    try:
        import claimflow.emulators  # noqa: PLC0415
        import claimflow.store  # noqa: F401, PLC0415
    except ImportError as e:
        if args.store:
            print(f"claimflow demo --store: {e}; pip install 'claimflow[store,emulators]'",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"\n(the whole loop needs the store and emulators extras: {e.name} is missing)")
        return 0
    return run_store_demo(args.store)


def _worker_command(_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        from .store import worker_command  # noqa: PLC0415
    except ImportError as e:
        print(f"claimflow worker: {e}; pip install 'claimflow[store,adapters]'", file=sys.stderr)
        return 1
    try:
        return worker_command(args)
    except ClaimflowError as e:
        print(f"claimflow worker: {e}", file=sys.stderr)
        return 1
