"""The offline demo: one order product per marketplace through a cancel, a return and an exchange.

Before every step it prints what each actor may do, then the decision and the new state; refused
steps are printed with their reasons in Korean and English and change nothing. No network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ._engine import allowed_actions, apply, check
from ._values import Decision, OrderProduct
from ._vocab import Action, Actor, Marketplace, Status

Step = tuple[str, Actor, dict[str, Any]]

DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "1022-5765-4265"}
NEW_INVOICE = {"carrier": "롯데택배", "tracking_number": "2400-1234-5678"}
B, S, Y = Actor.BUYER, Actor.SELLER, Actor.SYSTEM


def _reason(mp: Marketplace, text: str) -> dict[str, Any]:
    if mp is Marketplace.IMWEB:
        return {"reason_code": "INTENT_CHANGED", "reason": text}
    return {"reason": text}


def _cancel(mp: Marketplace) -> list[Step]:
    if mp is Marketplace.X2BEE:  # the storefront cancel is processed at once (X1)
        return [("cancel.request", B, {"reason": "단순 변심"})]
    return [
        ("order.prepare", S, {}),
        ("cancel.request", B, _reason(mp, "단순 변심")),
        ("order.ship", S, DELIVERY),  # refused while the cancel request is open (F3)
        ("cancel.approve", S, {}),
    ]


def _return(mp: Marketplace) -> list[Step]:
    steps: list[Step] = [
        ("order.prepare", S, {}),
        ("order.ship", S, DELIVERY),
        ("order.deliver", Y, {}),
        ("cancel.request", B, {"reason": "단순 변심"}),  # refused: delivered, return instead
        ("return.request", B, _reason(mp, "사이즈가 맞지 않음")),
        ("return.approve", S, {}),
        ("return.collect", S, {}),
        ("return.reject_collected", S, {"reason": "사용 흔적이 있어 반품 불가"}),
    ]
    if mp is Marketplace.IMWEB:  # imweb documents no 반려: finish with the refund instead
        steps += [("return.complete", S, {}), ("return.refund_succeeded", Y, {})]
    else:
        steps += [("order.confirm", B, {})]
    return steps


def _exchange(mp: Marketplace) -> list[Step]:
    steps: list[Step] = [
        ("order.prepare", S, {}),
        ("order.ship", S, DELIVERY),
        ("order.deliver", Y, {}),
        ("exchange.request", B, _reason(mp, "색상 교환")),
        ("exchange.approve", S, {}),
        ("exchange.collect", S, {}),
        ("exchange.redeliver", S, DELIVERY),
        ("exchange.change_invoice", S, NEW_INVOICE),  # imweb: not offered
        ("exchange.complete", S, {}),
        ("return.request", B, _reason(mp, "교환 후에도 불량")),  # EXCHANGED is not terminal
    ]
    return steps


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
        for title, steps in (
            ("취소 / cancel", _cancel(mp)),
            ("반품 / return", _return(mp)),
            ("교환 / exchange", _exchange(mp)),
        ):
            op = OrderProduct(f"{mp}-{title[:2]}", mp, Status.PAID, "SKU-RED-M", 29_000)
            out(f"\n--- {title}: order product {op.id}, {op.unit_price:,}원 ---")
            for action, actor, params in steps:
                may = " | ".join(f"{a}: {', '.join(allowed_actions(op, a)) or '-'}" for a in Actor)
                out(f"  [{_fmt_state(op)}]  may: {may}")
                decision = check(op, Action(action), actor, **params)
                out(_fmt_decision(decision))
                if decision.allowed:
                    op = apply(
                        op, Action(action), actor, expected_version=op.version, at=at, **params
                    ).order_product
            out(
                f"  ⇒ {_fmt_state(op)}; closed claims: "
                + (", ".join(f"{c.type}:{c.status}" for c in op.closed_claims) or "none")
            )
