"""Hostile input to the engine: every failure is a typed claimflow error (issue 13).

Named cases first (each cause the first fuzzing found), then hypothesis-driven garbage calls over
every engine value's constructor and the engine API (``check``, ``apply``, ``allowed_actions``,
``refused_actions``, ``example_params``, ``due``, ``decide_as_of``, the calendar). Every call is
counted; an exception that is not a :class:`claimflow.ClaimflowError` is an *untyped escape*, and
there must be none.

Budget: each hypothesis example makes a batch of calls. Under the default ``ci`` profile (100
examples) the module makes about two thousand calls in seconds;
``CLAIMFLOW_HYPOTHESIS_PROFILE=thorough`` (2,500 examples, batches of 12) makes over 100,000.
``CLAIMFLOW_FUZZ_BATCH`` overrides the batch size. The totals are printed at the end of the module
(``pytest -s``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import claimflow as cf
from claimflow._engine import example_params
from claimflow._vocab import SEOUL

A, S, CS, CT = cf.Action, cf.Status, cf.ClaimStatus, cf.ClaimType

AT = dt.datetime(2026, 2, 12, 10, tzinfo=SEOUL)

_THOROUGH = os.environ.get("CLAIMFLOW_HYPOTHESIS_PROFILE") == "thorough"
BATCH = int(os.environ.get("CLAIMFLOW_FUZZ_BATCH", "12" if _THOROUGH else "5"))


# --- counting ---------------------------------------------------------------------------------


@attrs.define
class Tally:
    """Calls made and untyped escapes seen (with a few examples kept for the message)."""

    calls: int = 0
    typed: int = 0
    escapes: list[str] = attrs.field(factory=list)

    def call(self, what: str, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Call *fn*; a non-claimflow exception is recorded as an escape."""
        self.calls += 1
        try:
            fn(*args, **kwargs)
        except cf.ClaimflowError:
            self.typed += 1
        except Exception as e:  # counting exactly these is the point
            self.escapes.append(f"{what}: {type(e).__name__}: {e!s:.200}"[:300])


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Print the module's figures once it has run."""
    yield
    for e in TALLY.escapes[:40]:
        print(e)
    print(  # the figures this module exists to produce
        f"\nengine fuzz: {TALLY.calls} calls, {TALLY.typed} typed errors, "
        f"{len(TALLY.escapes)} untyped escapes"
    )


def fuzz(what: str, fn: Callable[..., object], *args: Any, **kwargs: Any) -> list[str]:
    """One counted call; the escapes it added."""
    before = len(TALLY.escapes)
    TALLY.call(what, fn, *args, **kwargs)
    return TALLY.escapes[before:]


# --- garbage ----------------------------------------------------------------------------------


class Weird:
    """An object whose comparison and hashing raise."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __repr__(self) -> str:
        return "Weird()"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, -1, 1, 10**12, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, 0.0, 1.5]),
    st.text(max_size=12),
    st.sampled_from(["", " ", "PAID", "toss", "cancel.request", "SELLER", "0", "yesterday"]),
    st.binary(max_size=6),
    st.dates(),
    st.datetimes(),  # naive
    st.datetimes(timezones=st.just(SEOUL)),
    st.sampled_from([dt.datetime.min, dt.datetime.max.replace(tzinfo=dt.UTC), dt.date.max]),
    st.sampled_from(list(S) + list(CS) + list(CT) + list(A) + list(cf.Actor)),
    st.builds(object),
    st.builds(Weird),
)
garbage = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
        st.tuples(inner, inner),
    ),
    max_leaves=6,
)

VALID_CLAIM = cf.Claim("C-1", CT.RETURN, CS.REQUESTED, S.DELIVERED, "변심", (("reason", "변심"),))
VALID_OP = cf.OrderProduct("OP-1", "toss", S.DELIVERED, "ITEM-A", 1_000)
VALID_REASON = cf.Reason("CODE", "메시지", "message")
VALID_EFFECT = cf.Effect(cf.EffectKind.REFUND, amount=1_000)
VALID_DECISION = cf.Decision(True, "toss", A.ORDER_CONFIRM, "BUYER", S.DELIVERED, (VALID_REASON,))
VALID_EVENT = cf.HistoryEvent(
    "OP-1", 1, "toss", A.ORDER_CONFIRM, "BUYER", "F5", S.DELIVERED, S.CONFIRMED,
    None, None, None, None, (), (), AT,
)  # fmt: skip

#: every engine value, with valid keyword arguments to start from
VALUES: dict[type[Any], dict[str, Any]] = {
    cf.OrderProduct: {
        "id": "OP-1", "marketplace": "toss", "status": "DELIVERED", "item_id": "ITEM-A",
        "unit_price": 1_000, "quantity": 1, "payment_channel": "normal",
        "auto_refundable": True, "open_claim": VALID_CLAIM, "closed_claims": (), "version": 0,
        "paid_at": AT, "delivered_at": AT, "shipping_deadline": dt.date(2026, 2, 20),
    },
    cf.Claim: {
        "id": "C-1", "type": "RETURN", "status": "REQUESTED", "origin_status": "DELIVERED",
        "reason": "변심", "params": (("reason", "변심"),), "held_from": None,
        "requested_at": AT,
    },
    cf.CandidateItem: {"item_id": "ITEM-B", "unit_price": 1_000, "on_sale": True, "stock": 3},
    cf.Effect: {"kind": "REFUND", "amount": 1_000, "carrier": None, "tracking_number": None},
    cf.Reason: {
        "code": "CODE", "message_ko": "메시지", "message_en": "message", "rule_id": "T1",
        "source": "src", "tag": "documented", "field": None,
    },
    cf.Decision: {
        "allowed": True, "marketplace": "toss", "action": "order.confirm", "actor": "BUYER",
        "from_status": "DELIVERED", "reasons": (VALID_REASON,), "to_status": "CONFIRMED",
        "claim_type": None, "claim_status": None, "effects": (VALID_EFFECT,), "rule_id": "F5",
        "params": (),
    },
    cf.HistoryEvent: {
        "order_product_id": "OP-1", "version": 1, "marketplace": "toss",
        "action": "order.confirm", "actor": "BUYER", "rule_id": "F5",
        "from_status": "DELIVERED", "to_status": "CONFIRMED", "claim_id": None,
        "claim_type": None, "claim_status_before": None, "claim_status_after": None,
        "effects": (), "params": (), "at": AT,
    },
    cf.Applied: {"order_product": VALID_OP, "event": VALID_EVENT, "decision": VALID_DECISION},
    cf.BusinessCalendar: {"shop_holidays": frozenset()},
}  # fmt: skip


def use(value: object) -> None:
    """Touch what a caller would read off a constructed value (properties, methods, repr)."""
    repr(value)
    if isinstance(value, cf.OrderProduct):
        _ = value.amount
    elif isinstance(value, cf.Claim):
        value.param("reason")
    elif isinstance(value, cf.Decision):
        value.explain("en")
        value.explain("ko")
        _ = value.codes
    elif isinstance(value, cf.Applied):
        _ = value.effects


def construct(cls: type[Any], kwargs: dict[str, Any]) -> None:
    """Build *cls* and use it."""
    use(cls(**kwargs))


@st.composite
def broken_kwargs(draw: st.DrawFn) -> tuple[type[Any], dict[str, Any]]:
    """A value class and its valid arguments with one to three of them replaced by garbage."""
    cls = draw(st.sampled_from(list(VALUES)))
    kwargs = dict(VALUES[cls])
    for name in draw(st.lists(st.sampled_from(list(kwargs)), min_size=1, max_size=3)):
        kwargs[name] = draw(garbage)
    return cls, kwargs


def reachable_pool() -> list[cf.OrderProduct]:
    """Order products in every state the engine's own moves reach, on every marketplace.

    Built once (breadth first over allowed moves with example parameters) so that drawing one
    costs nothing; half of them carry payment and delivery moments.
    """
    pool: list[cf.OrderProduct] = []
    seen: set[object] = set()
    starts = [
        cf.OrderProduct("OP-1", mp, S.PAID, "ITEM-A", 1_000, auto_refundable=auto,
                        payment_channel=channel)
        for mp in cf.Marketplace
        for auto in (True, False)
        for channel in cf.PaymentChannel
    ]  # fmt: skip
    frontier = list(starts)
    while frontier:
        cur = frontier.pop()
        for who in cf.Actor:
            for a in cf.allowed_actions(cur, who):
                new = cf.apply(cur, a, who, at=AT, **example_params(cur, a)).order_product
                key = (new.marketplace, new.auto_refundable, new.payment_channel, new.status,
                       new.open_claim and (new.open_claim.type, new.open_claim.status))  # fmt: skip
                if key not in seen:
                    seen.add(key)
                    frontier.append(new)
                    pool.append(new)
    timed = [attrs.evolve(o, paid_at=AT, delivered_at=AT) for o in pool]
    return starts + pool + timed


POOL = reachable_pool()
order_products = st.sampled_from(POOL)
maybe_op = st.one_of(order_products, garbage)
actions = st.one_of(st.sampled_from(list(A)), garbage)
actors = st.one_of(st.sampled_from(list(cf.Actor)), garbage)
param_names = st.sampled_from(
    [
        "reason", "detail_reason", "reason_code", "carrier", "tracking_number", "fee_payer",
        "shipping_deadline", "extra_charge", "refund_points", "memo", "new_item",
        "refund_amount", "extra_payment",
    ]
)  # fmt: skip
params = st.dictionaries(param_names | st.text(max_size=5), garbage, max_size=3)


@st.composite
def engine_call(draw: st.DrawFn) -> tuple[str, Callable[..., object], tuple[Any, ...], dict]:
    """One garbage call of the engine API."""
    kind = draw(st.sampled_from(["check", "apply", "allowed", "refused", "example", "due"]))
    op = draw(maybe_op)
    if kind == "check":
        return kind, cf.check, (op, draw(actions), draw(actors)), draw(params)
    if kind == "apply":
        extra = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "expected_version": garbage | st.integers(0, 3),
                    "claim_id": garbage | st.sampled_from(["C-1", "OP-1-C1", "X"]),
                    "at": garbage,
                },
            )
        )
        return kind, cf.apply, (op, draw(actions), draw(actors)), {**draw(params), **extra}
    if kind == "allowed":
        return kind, cf.allowed_actions, (op, draw(actors)), {}
    if kind == "refused":
        return kind, cf.refused_actions, (op, draw(actors)), {}
    if kind == "example":
        return kind, example_params, (op, draw(actions)), {}
    kwargs = draw(
        st.fixed_dictionaries(
            {}, optional={"calendar": garbage, "preparation_days": garbage | st.integers(-2, 16)}
        )
    )
    return kind, cf.due, (op, draw(garbage | st.datetimes(timezones=st.just(SEOUL)))), kwargs


def decide_as_of(now: object, calendar: object, op: object) -> None:
    """decide_as_of with garbage, and a check inside it."""
    with cf.decide_as_of(now, calendar=calendar):  # type: ignore[arg-type]
        if isinstance(op, cf.OrderProduct):
            cf.check(op, "order.delay", "SELLER", shipping_deadline=dt.date(2026, 2, 20))


def calendar_call(method: str, day: object, n: object) -> None:
    """A BusinessCalendar method with garbage."""
    cal = cf.BusinessCalendar()
    if method == "is":
        cal.is_business_day(day)  # type: ignore[arg-type]
    else:
        cal.add_business_days(day, n)  # type: ignore[arg-type]


# --- named cases ----------------------------------------------------------------------------


class TestNamedCases:
    """The causes issue 13 names, each a typed error naming what was wrong."""

    @pytest.mark.parametrize(
        ("build", "field"),
        [
            pytest.param(lambda: attrs.evolve(VALID_OP, open_claim=5), "open_claim", id="open5"),
            pytest.param(
                lambda: attrs.evolve(VALID_OP, closed_claims=[VALID_CLAIM, "x"]),
                "closed_claims",
                id="closed-mixed",
            ),
            pytest.param(
                lambda: attrs.evolve(VALID_OP, closed_claims="ab"), "closed_claims", id="closed-str"
            ),
            pytest.param(lambda: attrs.evolve(VALID_CLAIM, params="ab"), "claim.params", id="ab"),
            pytest.param(lambda: attrs.evolve(VALID_CLAIM, params=None), "claim.params", id="none"),
            pytest.param(
                lambda: attrs.evolve(VALID_CLAIM, params=((1, "x"),)), "claim.params", id="int-key"
            ),
            pytest.param(
                lambda: attrs.evolve(VALID_CLAIM, params={1: "x"}), "claim.params", id="dict-key"
            ),
            pytest.param(lambda: VALID_CLAIM.param(["x"]), "name", id="param-list-name"),
        ],
    )
    def test_values(self, build: Callable[[], object], field: str) -> None:
        """Engine values refuse what they cannot hold, naming the field."""
        with pytest.raises(cf.InvalidInputError) as e:
            build()

        assert field == e.value.field

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param({"at": "yesterday"}, "at", id="at-str"),
            pytest.param({"at": 123}, "at", id="at-int"),
            pytest.param({"at": dt.datetime(2026, 1, 1)}, "at", id="at-naive"),
            pytest.param({"at": dt.date(2026, 1, 1)}, "at", id="at-date"),
            pytest.param({"expected_version": "0"}, "expected_version", id="version-str"),
            pytest.param({"expected_version": False}, "expected_version", id="version-false"),
            pytest.param({"expected_version": 0.0}, "expected_version", id="version-float"),
            pytest.param({"expected_version": -1}, "expected_version", id="version-negative"),
            pytest.param({"claim_id": ""}, "claim_id", id="claim-id-empty"),
            pytest.param({"claim_id": 7}, "claim_id", id="claim-id-int"),
            pytest.param({"claim_id": "OLD"}, "claim_id", id="claim-id-duplicate"),
        ],
    )
    def test_apply_arguments(self, kwargs: dict[str, Any], field: str) -> None:
        """apply refuses a malformed at / expected_version / claim_id, naming it; no change."""
        closed = cf.Claim("OLD", CT.RETURN, CS.WITHDRAWN, S.DELIVERED)
        op = attrs.evolve(VALID_OP, closed_claims=[closed])

        with pytest.raises(cf.InvalidInputError) as e:
            cf.apply(op, "return.request", "BUYER", reason="변심", **kwargs)

        assert (field, [closed], None) == (e.value.field, list(op.closed_claims), op.open_claim)

    def test_expected_version_zero_int_still_works(self) -> None:
        """An int version that matches applies as before."""
        new = cf.apply(VALID_OP, "order.confirm", "BUYER", expected_version=0).order_product

        assert (1, S.CONFIRMED) == (new.version, new.status)

    @pytest.mark.parametrize(
        "call",
        [
            pytest.param(lambda x: cf.check(x, "order.confirm", "BUYER"), id="check"),
            pytest.param(lambda x: cf.apply(x, "order.confirm", "BUYER"), id="apply"),
            pytest.param(lambda x: cf.allowed_actions(x, "BUYER"), id="allowed_actions"),
            pytest.param(lambda x: cf.refused_actions(x, "BUYER"), id="refused_actions"),
            pytest.param(lambda x: example_params(x, "order.confirm"), id="example_params"),
        ],
    )
    @pytest.mark.parametrize("value", [None, "OP-1", VALID_CLAIM, {"id": "OP-1"}])
    def test_not_an_order_product(self, call: Callable[[object], object], value: object) -> None:
        """The API refuses a non-order-product with InvalidInputError naming the argument."""
        with pytest.raises(cf.InvalidInputError) as e:
            call(value)

        assert "order_product" == e.value.field

    def test_x2bee_refund_bigger_than_paid(self) -> None:
        """An x2bee refund_amount of 10**12 on a 1,000-won line is refused naming the field."""
        op = cf.OrderProduct("OP-1", "x2bee", S.PAID, "ITEM-A", 1_000)

        d = cf.check(op, "cancel.request", "BUYER", reason="변심", refund_amount=10**12)

        assert (False, "INVALID_PARAMETER", "refund_amount") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
        )

    @pytest.mark.parametrize("amount", [0, 999, 1_000])
    def test_x2bee_refund_up_to_paid(self, amount: int) -> None:
        """A refund_amount up to what was paid is the REFUND's amount."""
        op = cf.OrderProduct("OP-1", "x2bee", S.PAID, "ITEM-A", 1_000)

        d = cf.check(op, "cancel.request", "BUYER", reason="변심", refund_amount=amount)

        assert amount == d.effect(cf.EffectKind.REFUND).amount  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("cls", "field", "value"),
        [
            (cf.Effect, "kind", "REFUNDS"),
            (cf.Effect, "amount", -1),
            (cf.Effect, "amount", True),
            (cf.Reason, "code", None),
            (cf.Reason, "tag", "maybe"),
            (cf.Decision, "allowed", "yes"),
            (cf.Decision, "reasons", ["not a reason"]),
            (cf.Decision, "effects", None),
            (cf.HistoryEvent, "at", dt.datetime(2026, 1, 1)),
            (cf.HistoryEvent, "version", "1"),
            (cf.Applied, "event", None),
        ],
    )
    def test_output_values_validate_too(self, cls: type[Any], field: str, value: object) -> None:
        """Decisions, effects, reasons, events hold only what their fields say."""
        with pytest.raises(cf.InvalidInputError):
            cls(**{**VALUES[cls], field: value})


# --- fuzzing --------------------------------------------------------------------------------


class TestFuzz:
    @given(st.lists(broken_kwargs(), min_size=BATCH, max_size=BATCH))
    def test_values(self, batch: list[tuple[type[Any], dict[str, Any]]]) -> None:
        """Every engine value built with garbage fields fails typed, or is usable."""
        escapes = [e for cls, kwargs in batch for e in fuzz(cls.__name__, construct, cls, kwargs)]

        assert [] == escapes

    @given(st.lists(engine_call(), min_size=BATCH, max_size=BATCH))
    def test_api(
        self, batch: list[tuple[str, Callable[..., object], tuple[Any, ...], Any]]
    ) -> None:
        """check/apply/allowed_actions/refused_actions/example_params/due with garbage: typed."""
        escapes = [e for what, fn, args, kwargs in batch for e in fuzz(what, fn, *args, **kwargs)]

        assert [] == escapes

    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["is", "add", "decide_as_of"]),
                garbage | st.dates(),
                garbage | st.integers(-3, 40),
                order_products,
            ),
            min_size=BATCH,
            max_size=BATCH,
        )
    )
    def test_time(self, batch: list[tuple[str, object, object, object]]) -> None:
        """The calendar and decide_as_of with garbage: typed."""
        escapes = [
            e
            for method, a, b, op in batch
            for e in (
                fuzz("decide_as_of", decide_as_of, a, b, op)
                if method == "decide_as_of"
                else fuzz(f"calendar.{method}", calendar_call, method, a, b)
            )
        ]

        assert [] == escapes

    @given(order_products, st.data())
    def test_valid_walks_stay_valid(self, op: cf.OrderProduct, data: st.DataObject) -> None:
        """Allowed actions with example parameters and random claim ids never escape either."""
        escapes: list[str] = []
        for _ in range(BATCH):
            moves = [(a, who) for who in cf.Actor for a in cf.allowed_actions(op, who)]
            if not moves:
                break
            action, actor = data.draw(st.sampled_from(moves))
            cid = data.draw(st.none() | st.sampled_from(["C-1", "OP-1-C1", "X"]))

            def step(
                cur: cf.OrderProduct = op, a: Any = action, w: Any = actor, c: Any = cid
            ) -> None:
                nonlocal op
                op = cf.apply(cur, a, w, claim_id=c, at=AT, **example_params(cur, a)).order_product

            escapes += fuzz("walk", step)
        assert [] == escapes
