"""Hypothesis strategies over claimflow's vocabulary, parameters and reachable order products."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import attrs
from hypothesis import strategies as st

from .._engine import allowed_actions, apply, check, example_params
from .._machine import COMPILED, StateKey, state_key
from .._params import ImwebReasonCode, example
from .._values import CandidateItem, OrderProduct
from .._vocab import SEOUL, Action, Actor, FeePayer, Marketplace, PaymentChannel, Status

__all__ = [
    "Step",
    "actions",
    "bad_values",
    "fresh_order_products",
    "invalid_params",
    "marketplaces",
    "order_products",
    "parameters_markdown",
    "params_for",
    "refused_pairs",
    "steps",
]


@attrs.frozen
class Step:
    """One thing an actor does: an action with its parameters."""

    action: Action
    actor: Actor
    params: dict[str, Any] = attrs.field(factory=dict, hash=False)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.actor} {self.action}({args})"


def marketplaces() -> st.SearchStrategy[Marketplace]:
    """Any marketplace claimflow knows."""
    return st.sampled_from(list(Marketplace))


def fresh_order_products(
    marketplace: Marketplace | str | None = None,
) -> st.SearchStrategy[OrderProduct]:
    """New order products at 결제완료 (PAID) with varied price, quantity and payment."""
    mps = st.just(Marketplace(marketplace)) if marketplace else marketplaces()
    return st.builds(
        OrderProduct,
        id=st.uuids().map(lambda u: f"op-{u.hex[:10]}"),
        marketplace=mps,
        status=st.just(Status.PAID),
        item_id=st.sampled_from(["SKU-RED-M", "SKU-BLUE-L", "SKU-0001"]),
        unit_price=st.integers(0, 500_000),
        quantity=st.integers(1, 5),
        payment_channel=st.sampled_from(list(PaymentChannel)),
        auto_refundable=st.booleans(),
    )


_TEXT = st.sampled_from(["단순 변심", "사이즈가 맞지 않음", "상품 불량", "재고 없음", "x"])
_TRACKING = st.from_regex(r"[0-9]{4}-[0-9]{4}-[0-9]{4}", fullmatch=True)


def params_for(op: OrderProduct, action: Action | str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid parameters for *action* on *op*: every required one, some optional ones."""
    specs = {s.name: s for s in COMPILED[op.marketplace].param_specs.get(Action(action), ())}
    today = dt.datetime.now(SEOUL).date()
    values: dict[str, st.SearchStrategy[Any]] = {
        "reason": _TEXT,
        "detail_reason": _TEXT,
        "reason_code": st.sampled_from(list(ImwebReasonCode)),
        "carrier": st.sampled_from(["CJ대한통운", "롯데택배", "한진택배", "우체국택배"]),
        "tracking_number": _TRACKING,
        "fee_payer": st.sampled_from(list(FeePayer)),
        "shipping_deadline": st.integers(1, 14).map(lambda d: today + dt.timedelta(days=d)),
        "extra_charge": st.integers(0, max(op.amount, 0)),
        "refund_points": st.integers(0, 5_000),
        "memo": _TEXT,
        "new_item": st.builds(
            CandidateItem,
            item_id=st.sampled_from(["SKU-ALT-1", "SKU-ALT-2"]),
            unit_price=st.just(op.unit_price),
            on_sale=st.just(True),
            stock=st.integers(op.quantity, op.quantity + 10),
        ),
        "refund_amount": st.integers(0, max(op.amount, 0)),
        "extra_payment": st.just(0) | st.integers(1, 10_000),
        # rules.md Q1-Q3: the whole line is a valid claim everywhere (part of it only on x2bee
        # orders that allow it, which the engine decides and names)
        "quantity": st.just(op.quantity),
        "exchange_mid_return": st.booleans(),  # x2bee exchMidRtnYn (X3)
    }
    for name, spec in specs.items():  # a parameter added to the rules later: its example value
        values.setdefault(name, st.just(example(spec, op)))
    required = {n: values[n] for n, s in specs.items() if s.required}
    optional = {n: values[n] for n, s in specs.items() if not s.required}
    return st.fixed_dictionaries(required, optional=optional)


def invalid_params(op: OrderProduct, action: Action | str) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters for *action* with one required value missing or malformed.

    Only for actions that take a parameter; the engine refuses these with MISSING_PARAMETER or
    INVALID_PARAMETER naming the field.
    """
    action = Action(action)
    valid = example_params(op, action)
    if not valid:
        msg = f"{action} takes no required parameter on {op.marketplace}"
        raise ValueError(msg)
    bad = bad_values(op)

    def spoil(name: str) -> st.SearchStrategy[dict[str, Any]]:
        def with_value(value: object) -> dict[str, Any]:
            params = dict(valid)
            if value is None:
                del params[name]
            else:
                params[name] = value
            return params

        return st.sampled_from([None, *bad.get(name, [])]).map(with_value)

    # flatmap rather than @composite: a composite made per call costs a source inspection
    return st.sampled_from(sorted(valid)).flatmap(spoil)


def bad_values(op: OrderProduct) -> dict[str, list[object]]:
    """Malformed values per parameter name, for *op* (a missing value is tried besides these)."""
    return {
        "reason": ["", "   ", 42, "가" * 300],
        "carrier": ["", None],
        "tracking_number": ["", "12", "no spaces allowed", 1234],
        "fee_payer": ["NOBODY", "user", 1],
        "reason_code": ["CHANGED_MIND", ""],
        "shipping_deadline": [dt.date(2000, 1, 1), "2099-01-01"],
        "new_item": [
            CandidateItem(op.item_id, op.unit_price, True, op.quantity),  # the same item
            CandidateItem("SKU-ALT", op.unit_price + 1, True, op.quantity),  # other price
            CandidateItem("SKU-ALT", op.unit_price, False, op.quantity),  # not on sale
            CandidateItem("SKU-ALT", op.unit_price, True, 0),  # out of stock
            "SKU-ALT",
        ],
    }


def actions(marketplace: Marketplace | str) -> st.SearchStrategy[tuple[Action, Actor]]:
    """Any (action, actor) pair the marketplace offers, allowed now or not."""
    offered = sorted(COMPILED[Marketplace(marketplace)].offered, key=list(Action).index)
    return st.tuples(st.sampled_from(offered), st.sampled_from(list(Actor)))


def steps(op: OrderProduct, *, allowed_bias: float = 0.7) -> st.SearchStrategy[Step]:
    """A next step for *op*: mostly one allowed now, else one its usual actor may not take now.

    Refused steps are drawn among (action, actor) pairs where the actor is one the marketplace's
    rules give that action, so the refusal is about the state, the claim or the parameters rather
    than a seller pressing a buyer's button (:func:`actions` draws those).
    """
    allowed = [(a, actor) for actor in Actor for a in allowed_actions(op, actor)]
    refused = refused_pairs(op, allowed)
    # Walk deep: an action that ends the order product (cancel, confirm, return completed) is
    # drawn a third as often as one that keeps it going, so journeys reach 반려 and re-exchange.
    ending = _ending(op.marketplace, state_key(op))
    allowed = [p for p in allowed if p[0] in ending] + [
        p for p in allowed if p[0] not in ending for _ in range(3)
    ]

    def with_params(pair: tuple[Action, Actor]) -> st.SearchStrategy[Step]:
        return params_for(op, pair[0]).map(lambda p: Step(pair[0], pair[1], p))

    pools = [st.sampled_from(pool).flatmap(with_params) for pool in (allowed, refused) if pool]
    if len(pools) == 1:
        return pools[0]
    tenths = round(allowed_bias * 10)
    return st.integers(0, 9).flatmap(lambda n: pools[0] if n < tenths else pools[1])


def refused_pairs(
    op: OrderProduct, allowed: list[tuple[Action, Actor]] | None = None
) -> list[tuple[Action, Actor]]:
    """The (action, actor) pairs the marketplace's rules know that are refused for *op* now."""
    if allowed is None:
        allowed = [(a, actor) for actor in Actor for a in allowed_actions(op, actor)]
    return [pair for pair in _usual_pairs(op.marketplace) if pair not in allowed]


@functools.cache
def _ending(mp: Marketplace, key: StateKey) -> frozenset[Action]:
    return frozenset(
        action
        for (k, action), steps_ in COMPILED[mp].table.items()
        if k == key and any(s.dest[0].terminal for s in steps_)
    )


@functools.cache
def _usual_pairs(mp: Marketplace) -> list[tuple[Action, Actor]]:
    pairs = {
        (s.rule.action, actor)
        for steps_ in COMPILED[mp].table.values()
        for s in steps_
        for actor in s.actors
    }
    return sorted(pairs, key=lambda p: (list(Action).index(p[0]), list(Actor).index(p[1])))


def order_products(
    marketplace: Marketplace | str | None = None, *, max_steps: int = 12
) -> st.SearchStrategy[OrderProduct]:
    """Order products in *reachable* states: a fresh one walked through allowed steps."""

    @st.composite
    def build(draw: st.DrawFn) -> OrderProduct:
        op = draw(fresh_order_products(marketplace))
        for _ in range(draw(st.integers(0, max_steps))):
            choices = [(a, actor) for actor in Actor for a in allowed_actions(op, actor)]
            if not choices:
                break
            action, actor = draw(st.sampled_from(choices))
            params = draw(params_for(op, action))
            done = _try_apply(op, action, actor, params)
            if done is not None:
                op = done
        return op

    return build()


def _try_apply(
    op: OrderProduct, action: Action, actor: Actor, params: dict[str, Any]
) -> OrderProduct | None:
    if not check(op, action, actor, **params).allowed:
        return None  # a guard that depends on the parameters (e.g. option change) said no
    return apply(op, action, actor, **params).order_product


#: What :func:`params_for` (and the runner) draw for each parameter, in words for docs/testing.md.
VALID_VALUES: dict[str, str] = {
    "reason": "one of 단순 변심, 사이즈가 맞지 않음, 상품 불량, 재고 없음, x",
    "detail_reason": "as reason",
    "memo": "as reason",
    "reason_code": "any `ImwebReasonCode`",
    "carrier": "CJ대한통운, 롯데택배, 한진택배 or 우체국택배",
    "tracking_number": "`NNNN-NNNN-NNNN` (digits)",
    "fee_payer": "`USER` or `MERCHANT`",
    "shipping_deadline": "1 to 14 days after today (KST, rules.md D5)",
    "extra_charge": "0 to the line's amount (won)",
    "refund_points": "0 to 5,000",
    "new_item": "another item (SKU-ALT-1/2) at the same unit price, on sale, stock ≥ quantity",
    "refund_amount": "0 to the line's amount (won)",
    "extra_payment": "0, or 1 to 10,000 (won)",
    # parameters the engine's update adds (rules.md Q1-Q3, X3)
    "quantity": "the line's whole quantity (the engine's example)",
    "exchange_mid_return": "True or False (x2bee exchMidRtnYn)",
}


def parameters_markdown() -> str:
    """The parameters the oracle sends, generated from the rules: for docs/testing.md.

    One row per parameter name any marketplace's rules take: which actions take it (required
    or optional), the valid values the oracle draws, and the malformed values it tries besides
    leaving a required one out.
    """
    op = OrderProduct("op", Marketplace.TOSS, Status.PAID, "SKU-0001", 10_000)
    bad = bad_values(op)
    taken: dict[str, dict[str, list[str]]] = {}
    for mp in Marketplace:
        for action, specs in sorted(COMPILED[mp].param_specs.items()):
            for spec in specs:
                where = taken.setdefault(spec.name, {})
                mark = "" if spec.required else " (optional)"
                where.setdefault(f"`{action}`{mark}", []).append(str(mp))
    rows = [
        "| parameter | taken by | valid values drawn | malformed values tried |",
        "|---|---|---|---|",
    ]
    for name in sorted(taken):
        by = "; ".join(f"{a} ({', '.join(mps)})" for a, mps in taken[name].items())
        tried = ", ".join(f"`{_short(v)}`" for v in bad.get(name, [])) or "—"
        rows.append(
            f"| `{name}` | {by} | {VALID_VALUES.get(name, 'the engine example')} | {tried} |"
        )
    return "\n".join(rows) + "\n"


def _short(value: object) -> str:
    if isinstance(value, str) and len(value) > 20:
        return f"{value[0]!r} * {len(value)}"
    return repr(value)


if __name__ == "__main__":  # python -m claimflow.testing._strategies docs/testing.md
    import re
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1])
    text = re.sub(
        r"(<!-- BEGIN parameters -->\n).*?(<!-- END parameters -->)",
        lambda m: m.group(1) + parameters_markdown() + m.group(2),
        doc.read_text(encoding="utf-8"),
        flags=re.DOTALL,
    )
    doc.write_text(text, encoding="utf-8")
