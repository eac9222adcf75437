"""The shared part of the wire payload strategies (:mod:`claimflow.testing._wire`): the payload
values, the draws, the reachable states, and the machinery that breaks a valid payload in one
spot. One module per marketplace (``_wire_toss``, ``_wire_imweb``, ``_wire_x2bee``) builds on it."""

from __future__ import annotations

import datetime as dt
import functools
import json
import string
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any

import attrs
import httpx
from hypothesis import strategies as st

from .._engine import allowed_actions
from .._introspect import reachable_states
from .._values import Claim, OrderProduct
from .._vocab import SEOUL, Action, Actor, ClaimStatus, ClaimType, Marketplace, Status
from ..adapters import OrderRef, RemoteAction, StatusCode
from ..adapters.codecs import CODECS
from ..exceptions import InvalidInputError
from ._strategies import fresh_order_products, order_products, params_for

MP = Marketplace

#: The answers each adapter reads, by marketplace: what :func:`wire_payloads` can draw.
#:
#: - ``toss``: ``claims_page`` (``GET /claims``), ``orders_page`` (``GET /orders/v2``), ``action``
#:   (``SUCCESS`` to a claim action or seller cancel), ``error`` (``FAIL`` with an
#:   ``errorCode``, ``TOO_MANY_REQUEST`` included);
#: - ``imweb``: ``orders_page`` (``GET /orders``), ``prod_orders`` (``GET
#:   /orders/{order_no}/prod-orders``), ``action`` (``data.success`` / ``data.failed``, partial
#:   success included), ``error`` (negative codes and HTTP statuses in the body);
#: - ``x2bee``: ``details`` (``claimDetailsInfoFO``), ``cost`` (``claimCalculateCostFO``),
#:   ``cancel_targets`` (``cancelPopupFO``), ``candidates`` (``otherItms``), ``action`` (HTTP 200,
#:   no content or a DTO), ``error`` (HTTP 900 envelope).
KINDS: Mapping[Marketplace, tuple[str, ...]] = {
    MP.TOSS: ("claims_page", "orders_page", "action", "error"),
    MP.IMWEB: ("orders_page", "prod_orders", "action", "error"),
    MP.X2BEE: ("details", "cost", "cancel_targets", "candidates", "action", "error"),
}

_SPECS = {mp: codec.SPEC for mp, codec in CODECS.items()}


class Problem(StrEnum):
    """How a :class:`Malformed` payload is broken."""

    MISSING = "missing"  # a required field is absent
    WRONG_TYPE = "wrong_type"  # a field has the wrong JSON type (or an empty id)
    UNKNOWN_CODE = "unknown_code"  # a status / type code the adapter's tables do not know
    INCONSISTENT = "inconsistent"  # well-typed fields that contradict each other or the call
    NOT_JSON = "not_json"  # the body is not JSON at all
    WRONG_ENVELOPE = "wrong_envelope"  # another marketplace's envelope, or none
    HTTP_STATUS = "http_status"  # an HTTP status the marketplace never answers with


def _content(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    return b"" if body is None else json.dumps(body, ensure_ascii=False).encode()


def _response(status: int, content: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json"} if content else {}
    return httpx.Response(status, content=content, headers=headers)


@attrs.frozen
class WirePayload:
    """A valid answer of *marketplace* of *kind*, and what it was rendered from.

    - ``body``: the JSON value (None: no content, as x2bee answers many writes);
      ``http_status``: the HTTP status it comes with;
    - ``sources``: the order products (claimflow states) it shows, ``refs`` where each is found
      (order id, the day it was ordered); ids are the marketplace's (imweb:
      ``"{order_no}:{prod_order_no}"``);
    - ``next_cursor``: for a page, the cursor the adapter must return (None: the last page);
    - ``action``: for ``action`` answers, the :class:`~claimflow.adapters.RemoteAction` answered;
    - ``expected``: where the wire carries the whole value, what the adapter must return:
      :class:`~claimflow.adapters.ActionResult` (``action``; item messages left out: None),
      :class:`~claimflow.adapters.x2bee.CostCalculation` (``cost``),
      :class:`~claimflow.adapters.x2bee.CancelTargets` (``cancel_targets``), a tuple of
      :class:`~claimflow.CandidateItem` (``candidates``);
    - ``error_code`` / ``error_message``: for ``error`` answers, the marketplace's code and the
      text the error's message must contain;
    - ``companions``: the other answers reading these order products back needs (Toss: the
      claims page beside an orders page; imweb: each order's ``prod_orders`` beside an orders
      page).
    """

    marketplace: Marketplace
    kind: str
    body: Any
    http_status: int = 200
    sources: tuple[OrderProduct, ...] = ()
    refs: tuple[OrderRef, ...] = ()
    next_cursor: str | None = None
    action: RemoteAction | None = None
    expected: object = None
    error_code: str | None = None
    error_message: str | None = None
    companions: tuple[WirePayload, ...] = ()

    @property
    def content(self) -> bytes:
        """The body as it goes on the wire (UTF-8 JSON; empty for no content)."""
        return _content(self.body)

    def response(self) -> httpx.Response:
        """The answer as an ``httpx.Response`` (for an ``httpx.MockTransport`` handler)."""
        return _response(self.http_status, self.content)


@attrs.frozen
class Malformed:
    """A payload broken in one way: ``body`` (a JSON value, or ``bytes`` that are not JSON),
    ``http_status``, and ``field``, the name the adapter's
    :class:`~claimflow.exceptions.UnexpectedResponseError` must carry
    (``"success.items[0].status"``, ``"body"``, ``"status_code"`` ...). ``valid`` is the payload
    it was broken from (its ``refs`` and ``action`` say which call to make)."""

    body: Any
    field: str
    http_status: int
    problem: Problem
    valid: WirePayload

    @property
    def content(self) -> bytes:
        """The body as it goes on the wire."""
        return _content(self.body)

    def response(self) -> httpx.Response:
        """The answer as an ``httpx.Response``."""
        return _response(self.http_status, self.content)


def _marketplace(value: Marketplace | str) -> Marketplace:
    try:
        return Marketplace(value)
    except ValueError:
        msg = f"unknown marketplace {value!r}"
        raise InvalidInputError(msg, field="marketplace") from None


# --- shared pieces --------------------------------------------------------------------------------


@attrs.frozen
class _Draws:
    """What a builder is asked for."""

    mp: Marketplace
    kind: str
    sources: st.SearchStrategy[OrderProduct] | None
    min_items: int | None
    max_items: int

    def ops(self, min_default: int) -> st.SearchStrategy[list[OrderProduct]]:
        """The order products of a page or batch."""
        low = min_default if self.min_items is None else self.min_items
        return st.lists(
            self.one(),
            min_size=low,
            max_size=max(low, self.max_items),
            unique_by=lambda op: op.id,
        )

    def one(
        self, default: st.SearchStrategy[OrderProduct] | None = None
    ) -> st.SearchStrategy[OrderProduct]:
        """One order product of the marketplace."""
        base = self.sources if self.sources is not None else default
        if base is None:
            base = order_products(self.mp) | _in_reachable_states(self.mp)
        return base.map(lambda op: _own(op, self.mp))


def _in_reachable_states(mp: Marketplace) -> st.SearchStrategy[OrderProduct]:
    """Fresh order products set straight into one of the states the engine can reach."""
    return st.builds(_into, st.sampled_from(_templates(mp)), fresh_order_products(mp))


@functools.cache
def _templates(mp: Marketplace) -> tuple[tuple[Status, Claim | None], ...]:
    return tuple((status, claim) for status, claim, _name in reachable_states(mp))


def _into(template: tuple[Status, Claim | None], fresh: OrderProduct) -> OrderProduct:
    status, claim = template
    open_claim = None if claim is None else attrs.evolve(claim, id=f"{fresh.id}-C1")
    return attrs.evolve(fresh, status=status, open_claim=open_claim)


def _own(op: OrderProduct, mp: Marketplace) -> OrderProduct:
    if op.marketplace is not mp:
        msg = f"a {op.marketplace} order product cannot be rendered as a {mp} answer"
        raise InvalidInputError(msg, field="sources")
    return op


_NAMES = st.sampled_from(["기본 반팔 티셔츠", "와이드 데님 팬츠", "러닝화 270", "텀블러 500ml"])
_OPTIONS = st.sampled_from(["블랙 / M", "화이트 / L", "기본", None])
_TEXT = st.sampled_from(["단순 변심", "사이즈가 맞지 않음", "상품 불량", "재고 없음", "오배송"])
_MOMENTS = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2025, 12, 31)).map(
    lambda m: m.replace(microsecond=0)
)  # naive, KST wall time
_IDS = st.integers(100_000, 9_000_000)


def _iso(moment: dt.datetime, offset: bool) -> str:
    """A KST wall time as the marketplaces write it: naive, or with ``+09:00``."""
    aware = moment.replace(tzinfo=SEOUL)
    return (aware if offset else moment).isoformat(timespec="seconds")


def _claims_of(op: OrderProduct) -> list[Claim]:
    """Every claim of *op*, oldest first (closed ones, then the open one)."""
    return [*op.closed_claims, *((op.open_claim,) if op.open_claim else ())]


def _open_pair(op: OrderProduct) -> tuple[ClaimType, ClaimStatus] | None:
    oc = op.open_claim
    return (oc.type, oc.status) if oc else None


def _same_meaning(table: Mapping[str, StatusCode], code: str) -> list[str]:
    """*code* and the codes of *table* that mean exactly the same (x2bee 22/23 출고지시/출고대기,
    imweb's documented misprint ``EXCHANGE_COLLECTIN``)."""
    ref = table[code]

    def meaning(sc: StatusCode) -> tuple[object, ...]:
        return (sc.status, sc.claim_type, sc.claim_status, sc.per_claim_type)

    return sorted(c for c, sc in table.items() if meaning(sc) == meaning(ref))


def _action_for(
    draw: st.DrawFn, op: OrderProduct, offered: Collection[Action]
) -> tuple[Action, dict[str, Any]]:
    """An action the adapter can send for *op*: one the rules allow now where there is one."""
    allowed = {a for actor in Actor for a in allowed_actions(op, actor)}
    pool = sorted((a for a in offered if a in allowed), key=list(Action).index) or sorted(
        offered, key=list(Action).index
    )
    action = draw(st.sampled_from(pool))
    return action, draw(params_for(op, action))


@attrs.frozen
class _Placed:
    """An order product with where the marketplace shows it."""

    op: OrderProduct
    ref: OrderRef
    ordered_at: dt.datetime  # naive KST
    name: str
    option: str | None


def _place(draw: st.DrawFn, ops: Sequence[OrderProduct]) -> list[_Placed]:
    base = draw(_IDS)
    out = []
    for i, op in enumerate(ops):
        moment = draw(_MOMENTS)
        ref = OrderRef(op.id, str(base + i), moment.date())
        out.append(_Placed(op, ref, moment, draw(_NAMES), draw(_OPTIONS)))
    return out


# --- breaking a valid payload ---------------------------------------------------------------------

Path = tuple[str | int, ...]


@attrs.frozen
class _Spot:
    """One way to break a payload: at ``path``, delete the key (``values`` None) or put one of
    ``values``; ``field`` is what the adapter must name (default: the path, written as the
    adapters write it); ``status`` replaces the HTTP status."""

    path: Path
    problem: Problem
    values: st.SearchStrategy[Any] | None = None
    field: str | None = None
    status: st.SearchStrategy[int] | None = None


def _plain(payload: WirePayload) -> st.SearchStrategy[int]:
    """The status a foreign body (not JSON, another marketplace's envelope) comes with: an error
    status with JSON that is not the marketplace's envelope is judged by the status alone (issue
    13), so such a body is sent with 200 instead of a status the spec maps to an error."""
    spec = _SPECS[payload.marketplace]
    return st.just(payload.http_status if payload.http_status not in spec.http_errors else 200)


def _field(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _copy(body: Any) -> Any:
    return json.loads(json.dumps(body))


def _set(body: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    out = _copy(body)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return out


def _delete(body: Any, path: Path) -> Any:
    out = _copy(body)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return out


def _break(payload: WirePayload, spot: _Spot) -> st.SearchStrategy[Malformed]:
    field = spot.field if spot.field is not None else _field(spot.path)
    bodies = (
        st.just(_delete(payload.body, spot.path))
        if spot.values is None
        else spot.values.map(lambda v: _set(payload.body, spot.path, v))
    )
    statuses = st.just(payload.http_status) if spot.status is None else spot.status
    return st.tuples(bodies, statuses).map(
        lambda bs: Malformed(bs[0], field, bs[1], spot.problem, payload)
    )


# wrong JSON types, per what the adapters accept (wire_str takes ints for ids; "" is no id)
_NOT_STR: st.SearchStrategy[Any] = st.sampled_from([True, False, 1.5, [], {}, ["x"], ""])
_NOT_OPT_STR: st.SearchStrategy[Any] = st.sampled_from([True, False, 1.5, [], {"a": 1}, ["x"]])
_NOT_INT: st.SearchStrategy[Any] = st.sampled_from(["1000", "12", 1.5, True, [], {}])
_NOT_DATETIME: st.SearchStrategy[Any] = st.sampled_from(
    [123, True, "yesterday", "2024-13-01T00:00:00", [], "01/05/2024"]
)
_NOT_BOOL: st.SearchStrategy[Any] = st.sampled_from(["true", "Y", 1, 0, None, []])
_NOT_LIST: st.SearchStrategy[Any] = st.sampled_from([None, "x", 1, {"a": 1}, True])
_NOT_OBJ: st.SearchStrategy[Any] = st.sampled_from([None, "x", 1, [], True])
_NOT_JSON = st.sampled_from(
    [
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b'{"resultType": "SUCC',
        b"Service Temporarily Unavailable",
        b"\xef\xbb\xbf\x00\xff",
        b"{'single': 'quotes'}",
    ]
) | st.binary(min_size=1, max_size=24).filter(lambda b: not _is_json(b))


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


def _unknown(known: Collection[str]) -> st.SearchStrategy[str]:
    """Codes an adapter's table does not know (derived from the table itself)."""
    return (
        st.sampled_from(["TELEPORTED", "LOST", "99", "unknown", "REQUESTED_SOMETHING"])
        | st.text(string.ascii_uppercase + string.digits + "_", min_size=1, max_size=12)
    ).filter(lambda code: code not in known)


def _missing(path: Path, field: str | None = None) -> _Spot:
    return _Spot(path, Problem.MISSING, None, field)


def _typed(path: Path, values: st.SearchStrategy[Any], field: str | None = None) -> _Spot:
    return _Spot(path, Problem.WRONG_TYPE, values, field)


def _unknown_at(path: Path, known: Collection[str]) -> _Spot:
    return _Spot(path, Problem.UNKNOWN_CODE, _unknown(known))


def _required_str(path: Path) -> list[_Spot]:
    return [_missing(path), _typed(path, _NOT_STR)]


def _required_code(path: Path, known: Collection[str]) -> list[_Spot]:
    return [*_required_str(path), _unknown_at(path, known)]


_UNUSED_STATUSES = (201, 202, 204, 301, 302, 402, 405, 409, 410, 418, 422, 451)
