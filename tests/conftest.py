"""Shared test setup: hypothesis profiles, fresh order products and action parameters.

Hypothesis profile, chosen with ``CLAIMFLOW_HYPOTHESIS_PROFILE``:

- ``ci`` (default): derandomized, 100 examples, no deadline, failing examples printed as blobs;
- ``dev``: random, 400 examples, for a local run before pushing;
- ``thorough``: 2,500 examples and 100 stateful steps, for a nightly run.

They are claimflow.testing's own profiles (:func:`claimflow.testing.load_profile`).

Fixtures are session-scoped so hypothesis ``@given`` tests may take them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import strategies as st

import claimflow as cf
from claimflow._vocab import SEOUL
from claimflow.testing import load_profile

# --- hypothesis profiles: the ones claimflow.testing ships -----------------------------------

load_profile()


# --- order products -----------------------------------------------------------------------

ITEM_ID = "ITEM-A"
UNIT_PRICE = 12_000


def fresh_order_product(
    marketplace: cf.Marketplace | str,
    status: cf.Status | str = cf.Status.PAID,
    *,
    open_claim: cf.Claim | None = None,
    op_id: str = "OP-1",
    item_id: str = ITEM_ID,
    unit_price: int = UNIT_PRICE,
    quantity: int = 1,
    payment_channel: cf.PaymentChannel | str = cf.PaymentChannel.NORMAL,
    auto_refundable: bool = True,
) -> cf.OrderProduct:
    """A new order product (version 0, no closed claims) of *marketplace* in *status*."""
    return cf.OrderProduct(
        op_id,
        marketplace,
        status,
        item_id,
        unit_price,
        quantity=quantity,
        payment_channel=payment_channel,
        auto_refundable=auto_refundable,
        open_claim=open_claim,
    )


@pytest.fixture(scope="session")
def make_order_product() -> Callable[..., cf.OrderProduct]:
    """A factory of fresh order products: ``make_order_product(mp, status, **fields)``."""
    return fresh_order_product


# --- action parameters --------------------------------------------------------------------

CARRIER = "CJ대한통운"
TRACKING_NUMBER = "1022-5765-4265"
REASONS = (
    "단순 변심",
    "상품 파손",
    "사이즈가 맞지 않음",
    "배송 지연",
    "오배송",
    "다른 옵션으로 교환",
)


def _today_kst() -> dt.date:
    return dt.datetime.now(SEOUL).date()


def _new_item(op: cf.OrderProduct) -> st.SearchStrategy[cf.CandidateItem]:
    """A valid x2bee option-change target: another item, same price, on sale, enough stock."""
    return st.builds(
        cf.CandidateItem,
        item_id=st.sampled_from(("ITEM-B", "ITEM-C", "ITEM-D")).map(
            lambda i: i if i != op.item_id else i + "-2"
        ),
        unit_price=st.just(op.unit_price),
        on_sale=st.just(True),
        stock=st.integers(op.quantity, op.quantity + 50),
    )


def _valid_value(name: str, op: cf.OrderProduct) -> st.SearchStrategy[Any]:
    if name in ("reason", "detail_reason", "memo"):
        return st.sampled_from(REASONS)
    if name == "carrier":
        return st.just(CARRIER)
    if name == "tracking_number":
        return st.sampled_from((TRACKING_NUMBER, "123456789012", "CJ-0001"))
    if name == "fee_payer":
        return st.sampled_from(list(cf.FeePayer))
    if name == "reason_code":
        return st.sampled_from(list(cf.ImwebReasonCode))
    if name == "shipping_deadline":
        return st.integers(1, 14).map(lambda d: _today_kst() + dt.timedelta(days=d))
    if name in ("extra_charge", "extra_payment"):
        return st.integers(0, 3_000)
    if name == "refund_amount":  # M8: never more than the buyer paid
        return st.integers(0, max(op.paid, 0))
    if name == "refund_points":  # M8: never more points than were used (when known)
        return st.integers(0, 3_000 if op.money is None else op.money.points_used)
    if name == "quantity":  # Q1-Q3: part of the line only where the order allows it
        return st.integers(1, op.quantity) if op.partial_claims else st.just(op.quantity)
    if name == "new_item":
        return _new_item(op)
    if name == "exchange_mid_return":
        return st.booleans()
    msg = f"no valid-value strategy for parameter {name!r}: add one to tests/conftest.py"
    raise AssertionError(msg)


def _invalid_value(name: str, op: cf.OrderProduct) -> st.SearchStrategy[Any]:
    if name in ("reason", "detail_reason", "memo", "carrier"):
        return st.sampled_from(("", "   ", "가" * 600))
    if name == "tracking_number":
        return st.sampled_from(("", "12", "송장번호", "x" * 41))
    if name in ("fee_payer", "reason_code"):
        return st.sampled_from(("NOBODY", "", 3))
    if name == "shipping_deadline":
        return st.integers(0, 30).map(lambda d: _today_kst() - dt.timedelta(days=d))
    if name in ("extra_charge", "refund_points", "refund_amount", "extra_payment"):
        return st.sampled_from((-1, -500, 1.5, "100"))
    if name == "quantity":
        return st.sampled_from((0, -1, op.quantity + 1, 1.0, "1"))
    if name == "new_item":
        same = cf.CandidateItem(op.item_id, op.unit_price, True, op.quantity)
        off_sale = cf.CandidateItem("ITEM-Z", op.unit_price, False, op.quantity)
        no_stock = cf.CandidateItem("ITEM-Z", op.unit_price, True, op.quantity - 1)
        dearer = cf.CandidateItem("ITEM-Z", op.unit_price + 1, True, op.quantity)
        reserved = cf.CandidateItem("ITEM-Z", op.unit_price, True, op.quantity, reservation=True)
        return st.sampled_from((same, off_sale, no_stock, dearer, reserved, "ITEM-Z"))
    if name == "exchange_mid_return":
        return st.sampled_from(("Y", 1))
    msg = f"no invalid-value strategy for parameter {name!r}: add one to tests/conftest.py"
    raise AssertionError(msg)


class ActionParams:
    """Which parameters an action takes on a marketplace, and values for them."""

    def __init__(self) -> None:
        self._specs: dict[tuple[cf.Marketplace, cf.Action], tuple[tuple[str, ...], ...]] = {}
        for info in cf.rules():
            key = (info.marketplace, info.action)
            required, optional = self._specs.get(key, ((), ()))
            self._specs[key] = (
                tuple(dict.fromkeys(required + info.required_params)),
                tuple(dict.fromkeys(optional + info.optional_params)),
            )

    def names(
        self, marketplace: cf.Marketplace, action: cf.Action
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, optional) parameter names of *action* on *marketplace*, over its rules."""
        return self._specs.get((cf.Marketplace(marketplace), cf.Action(action)), ((), ()))

    def valid(self, op: cf.OrderProduct, action: cf.Action) -> st.SearchStrategy[dict[str, Any]]:
        """Valid parameters for *action* on *op*: every required one, some optional ones."""
        required, optional = self.names(op.marketplace, action)
        return st.fixed_dictionaries(
            {n: _valid_value(n, op) for n in required},
            optional={n: _valid_value(n, op) for n in optional},
        )

    def invalid(self, op: cf.OrderProduct, action: cf.Action) -> st.SearchStrategy[dict[str, Any]]:
        """Parameters with one required parameter missing or one parameter malformed.

        For an action that takes no parameters this is the empty mapping (nothing can be wrong).
        """
        required, optional = self.names(op.marketplace, action)
        names = required + optional
        if not names:
            return st.just({})

        @st.composite
        def broken(draw: st.DrawFn) -> dict[str, Any]:
            params = draw(self.valid(op, action))
            name = draw(st.sampled_from(names))
            if name in required and draw(st.booleans()):
                params.pop(name)
            else:
                params[name] = draw(_invalid_value(name, op))
            return params

        return broken()

    def example(
        self, op: cf.OrderProduct, action: cf.Action, *, optional: bool = False
    ) -> dict[str, Any]:
        """One fixed set of valid parameters (with every optional one too when *optional*)."""
        required, opt = self.names(op.marketplace, action)
        fixed: Mapping[str, Any] = {
            "reason": REASONS[0],
            "detail_reason": REASONS[1],
            "memo": "메모",
            "carrier": CARRIER,
            "tracking_number": TRACKING_NUMBER,
            "fee_payer": cf.FeePayer.USER,
            "reason_code": cf.ImwebReasonCode.INTENT_CHANGED,
            "shipping_deadline": _today_kst() + dt.timedelta(days=7),
            "extra_charge": 500,
            "refund_points": 100 if op.money is None else min(100, op.money.points_used),
            "refund_amount": op.amount,
            "extra_payment": 0,
            "exchange_mid_return": False,
            "quantity": op.quantity,
            "new_item": cf.CandidateItem(
                op.item_id + "-OTHER", op.unit_price, True, op.quantity + 5
            ),
        }
        names = required + (opt if optional else ())
        missing = [n for n in names if n not in fixed]
        assert [] == missing, f"no fixed value for {missing}: add one to tests/conftest.py"
        return {n: fixed[n] for n in names}


@pytest.fixture(scope="session")
def action_params() -> ActionParams:
    """Parameter names, hypothesis strategies and fixed examples for every action."""
    return ActionParams()
