"""The wire payload strategies (``claimflow.testing._wire``) against the adapters' real parsing.

Every payload is served by ``httpx.MockTransport`` to a real adapter (``make_client``), so it goes
through the whole pipeline: token auth, ``parse_response``, the envelope, the page parser. A valid
payload must read back as the claimflow state it was rendered from; a malformed one must raise
:class:`~claimflow.exceptions.UnexpectedResponseError` naming the field the strategy says.

The expected error classes and the statuses the wire cannot show are written out here from
``shared/spec/marketplaces.md`` and the adapters' docstrings, not read from the adapters' tables,
so a change in an adapter's mapping fails a test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from wire_serving import (
    call,
    mock_async_client,
    mock_client,
    serving,
)

import claimflow as cf
from claimflow.adapters import (
    ActionResult,
    ItemResult,
    OrderRef,
    RemoteClaim,
    RemoteOrderProduct,
)
from claimflow.testing import (
    KINDS,
    Malformed,
    Problem,
    WirePayload,
    malformed_payloads,
    order_products,
    wire_payloads,
)

MP, S, CS, CT = cf.Marketplace, cf.Status, cf.ClaimStatus, cf.ClaimType

#: one attempt, no waiting: an error answer is raised at once


# --- serving payloads to real adapters ----------------------------------------------------------


def _read_back(p: WirePayload) -> Any:
    with mock_client(p.marketplace, serving(p.response, p)) as adapter:
        return call(adapter, p)


def _raised(m: Malformed) -> cf.UnexpectedResponseError:
    with (
        mock_client(m.valid.marketplace, serving(m.response, m.valid)) as adapter,
        pytest.raises(cf.UnexpectedResponseError) as e,
    ):
        call(adapter, m.valid)
    return e.value


# --- what the wire can show of a state (from marketplaces.md and the adapters' docstrings) -----

#: Toss's claims list says APPROVED for every step after approval, REJECTED for 반려 [inferred]
TOSS_CLAIM_SHOWN = {
    CS.COLLECTED: CS.APPROVED,
    CS.REDELIVERING: CS.APPROVED,
    CS.COLLECTION_REJECTED: CS.REJECTED,
}
#: Toss's CLAIM_COLLECTING / CLAIM_COLLECTED serve returns and exchanges: the claim tells which
TOSS_SHARED_CODES = {
    S.RETURN_COLLECTING,
    S.RETURN_COLLECTED,
    S.EXCHANGE_COLLECTING,
    S.EXCHANGE_COLLECTED,
}


def _toss_shown(claim: cf.Claim) -> cf.ClaimStatus:
    """A claim's status as Toss's claims list shows it."""
    return TOSS_CLAIM_SHOWN.get(claim.status, claim.status)


def _requested(op: cf.OrderProduct) -> bool:
    """A pending request folds into the order-product code: the status under it is not shown."""
    return op.open_claim is not None and op.open_claim.status is CS.REQUESTED


def _claims_of(op: cf.OrderProduct) -> list[cf.Claim]:
    return [*op.closed_claims, *((op.open_claim,) if op.open_claim else ())]


def _open(c: RemoteClaim | cf.Claim | None) -> tuple[object, ...] | None:
    return None if c is None else (c.type, c.status, c.held_from)


def _closed(claims: Sequence[RemoteClaim]) -> list[tuple[str, cf.ClaimType, cf.ClaimStatus]]:
    return sorted((c.id, c.type, c.status) for c in claims if not c.is_open)


def _item_view(results: Sequence[ItemResult]) -> list[tuple[str, bool, str | None]]:
    return [(i.order_product_id, i.ok, i.code) for i in results]


#: the error class each documented code must raise on a read (default: refused)
ERRORS: dict[cf.Marketplace, dict[str, type[cf.MarketplaceError]]] = {
    MP.TOSS: {"TOO_MANY_REQUEST": cf.RateLimitedError, "500": cf.MarketplaceUnavailableError},
    MP.IMWEB: {
        **dict.fromkeys(["-1", "-2", "-5", "-6", "401", "403"], cf.AuthenticationError),
        **dict.fromkeys(["-7", "429"], cf.RateLimitedError),
        **dict.fromkeys(["-19", "-999", "500"], cf.MarketplaceUnavailableError),
    },
    MP.X2BEE: {},  # x2bee's codes are not published: every HTTP 900 answer is a refusal
}


def _check_error(p: WirePayload, error: cf.MarketplaceError) -> None:
    assert p.error_code is not None
    expected = ERRORS[p.marketplace].get(p.error_code, cf.MarketplaceRefusedError)
    assert expected is type(error)
    if isinstance(error, cf.MarketplaceRefusedError):
        assert p.error_message is not None
        assert (p.error_code, True) == (error.code, p.error_message in error.message)


def _outcome(call: Callable[[], object]) -> object:
    """What *call* returns, or the class of the marketplace error it raises."""
    try:
        return call()
    except cf.MarketplaceError as e:
        return type(e)


ALL_KINDS = [(mp, kind) for mp, kinds in KINDS.items() for kind in kinds]


# --- Toss -------------------------------------------------------------------------------------


class TestToss:
    @given(wire_payloads("toss", "claims_page"))
    def test_claims_page_round_trip(self, p: WirePayload) -> None:
        """Every claim of a claims page reads back as the claim it was rendered from, as
        precisely as Toss's claim codes show it, and the page's cursor as drawn."""
        page = _read_back(p)
        expected = [
            (c.id, c.type, _toss_shown(c), c is op.open_claim, op.id, ref.order_id, c.reason)
            for op, ref in zip(p.sources, p.refs, strict=True)
            for c in _claims_of(op)
        ]
        actual = [
            (c.id, c.type, c.status, c.is_open, c.order_product_id, c.order_id, c.reason)
            for c in page.items
        ]
        assert (expected, p.next_cursor) == (actual, page.next_cursor)

    @given(wire_payloads("toss", "orders_page"))
    def test_orders_page_round_trip(self, p: WirePayload) -> None:
        """Every row of an orders page reads back as its order product: the status where the
        code shows it (not under a pending request, nor for the codes returns and exchanges
        share), ids, item, price, quantity and order day."""

        def shown(op: cf.OrderProduct) -> cf.Status | None:
            return None if _requested(op) or op.status in TOSS_SHARED_CODES else op.status

        page = _read_back(p)
        expected = [
            (op.id, ref.order_id, shown(op), op.item_id, op.unit_price, op.quantity, ref.ordered_on)
            for op, ref in zip(p.sources, p.refs, strict=True)
        ]
        actual = [
            (r.id, r.order_id, r.status, r.item_id, r.unit_price, r.quantity, r.ordered_at.date())
            for r in page.items
        ]
        assert (expected, p.next_cursor) == (actual, page.next_cursor)

    @given(wire_payloads("toss", "orders_page", min_items=1))
    def test_read_round_trip(self, p: WirePayload) -> None:
        """Reading each order product back (its order row, then its order's claims) gives its
        status, its open claim exactly (the order code refines APPROVED) and its closed claims."""
        with mock_client(MP.TOSS, serving(p.response, p)) as adapter:
            remotes = [adapter.read(ref) for ref in p.refs]
        expected = [
            (
                None if _requested(op) else op.status,
                _open(op.open_claim),
                sorted((c.id, c.type, _toss_shown(c)) for c in op.closed_claims),
            )
            for op in p.sources
        ]
        actual = [(r.status, _open(r.open_claim), _closed(r.claims)) for r in remotes]
        assert expected == actual

    @given(wire_payloads("toss", "action"))
    def test_action_round_trip(self, p: WirePayload) -> None:
        """A SUCCESS answer to a claim action or seller cancel is the action carried out."""
        assert p.expected == _read_back(p)

    @given(wire_payloads("toss", "error"))
    def test_error_answers(self, p: WirePayload) -> None:
        """A FAIL answer raises the error its errorCode means (TOO_MANY_REQUEST: rate limited),
        with the code and Toss's reason."""
        with pytest.raises(cf.MarketplaceError) as e:
            _read_back(p)
        _check_error(p, e.value)


# --- imweb ------------------------------------------------------------------------------------


def _imweb_view(r: RemoteOrderProduct) -> tuple[object, ...]:
    claim = r.open_claim
    origin = None if claim is None else claim.origin_status
    return (r.id, r.status, _open(claim), origin, r.item_id, r.unit_price, r.quantity)


def _imweb_expected(op: cf.OrderProduct) -> tuple[object, ...]:
    claim = op.open_claim
    origin = None if claim is None else claim.origin_status
    if claim is not None and claim.status is cf.ClaimStatus.HELD:
        # imweb documents no hold field (§5.2): a held claim reads as the status it holds
        claim = attrs.evolve(claim, status=claim.held_from, held_from=None)
    return (op.id, op.status, _open(claim), origin, op.item_id, op.unit_price, op.quantity)


class TestImweb:
    @given(wire_payloads("imweb", "prod_orders"))
    def test_prod_orders_round_trip(self, p: WirePayload) -> None:
        """Each item order of a prod-orders answer reads back as its order product: status, open
        claim (a hold reads as the status it interrupted: not on the wire) and the claim's
        origin status."""
        remotes = _read_back(p)
        assert [_imweb_expected(op) for op in p.sources] == [_imweb_view(r) for r in remotes]

    @given(wire_payloads("imweb", "orders_page"))
    def test_orders_page_round_trip(self, p: WirePayload) -> None:
        """A page of orders and their item orders reads back as the order products, with the
        order's refundability, and the next page number; an unfiltered list does not say the
        payment channel (§5.2: only the type filter does)."""
        page = _read_back(p)
        expected = [
            (*_imweb_expected(op), None, op.auto_refundable, ref.order_id)
            for op, ref in zip(p.sources, p.refs, strict=True)
        ]
        actual = [
            (*_imweb_view(r), r.payment_channel, r.auto_refundable, r.order_id) for r in page.items
        ]
        assert (expected, p.next_cursor) == (actual, page.next_cursor)

    @given(wire_payloads("imweb", "action"))
    def test_action_round_trip(self, p: WirePayload) -> None:
        """An action answer reads back item by item: succeeded, refused (자동환불불가 with its
        own code), or failed with the whole order."""
        result = _read_back(p)
        assert isinstance(p.expected, ActionResult)
        assert _item_view(p.expected.items) == _item_view(result.items)

    @given(wire_payloads("imweb", "error"))
    def test_error_answers(self, p: WirePayload) -> None:
        """An error envelope (negative code or HTTP status in the body) raises the error its code
        means, with the code and imweb's msg."""
        with pytest.raises(cf.MarketplaceError) as e:
            _read_back(p)
        _check_error(p, e.value)


# --- x2bee ------------------------------------------------------------------------------------


class TestX2bee:
    @given(wire_payloads("x2bee", "details"))
    def test_details_round_trip(self, p: WirePayload) -> None:
        """claimDetailsInfoFO's answer reads back as the order product: its status (not shown
        under a pending return or exchange request) and every claim, open or closed, exactly."""
        remote = _read_back(p)
        (op,) = p.sources
        expected = (
            (op.id, p.refs[0].order_id, None if _requested(op) else op.status),
            (op.item_id, op.unit_price, op.quantity),
            [(c.id, c.type, c.status, c is op.open_claim) for c in _claims_of(op)],
        )
        actual = (
            (remote.id, remote.order_id, remote.status),
            (remote.item_id, remote.unit_price, remote.quantity),
            [(c.id, c.type, c.status, c.is_open) for c in remote.claims],
        )
        assert expected == actual

    @given(wire_payloads("x2bee", "cost"))
    def test_cost_round_trip(self, p: WirePayload) -> None:
        """claimCalculateCostFO's answer reads back as the refund or the extra payment."""
        assert p.expected == _read_back(p)

    @given(wire_payloads("x2bee", "cancel_targets"))
    def test_cancel_targets_round_trip(self, p: WirePayload) -> None:
        """cancelPopupFO's answer reads back as the order lines the buyer may cancel now, the
        partial-cancel flag and the reasons."""
        assert p.expected == _read_back(p)

    @given(wire_payloads("x2bee", "candidates"))
    def test_candidates_round_trip(self, p: WirePayload) -> None:
        """otherItms' answer reads back as the candidate items (on sale or not, stock, price)."""
        assert p.expected == _read_back(p)

    @given(wire_payloads("x2bee", "action"))
    def test_action_round_trip(self, p: WirePayload) -> None:
        """HTTP 200, with no content or with a DTO, is the action carried out."""
        assert p.expected == _read_back(p)

    @given(wire_payloads("x2bee", "error"))
    def test_error_answers(self, p: WirePayload) -> None:
        """An HTTP 900 envelope is a refusal with x2bee's code and message, field errors
        appended."""
        with pytest.raises(cf.MarketplaceError) as e:
            _read_back(p)
        _check_error(p, e.value)


# --- malformed payloads -------------------------------------------------------------------------


class TestMalformed:
    @pytest.mark.parametrize(("marketplace", "kind"), ALL_KINDS)
    @given(data=st.data())
    def test_names_the_field(self, marketplace: str, kind: str, data: st.DataObject) -> None:
        """Every malformed payload (never its valid payload, in content or status) raises
        UnexpectedResponseError naming the broken field (the body for not-JSON, status_code for
        an HTTP status the marketplace never uses)."""
        m = data.draw(malformed_payloads(marketplace, kind))
        changed = (m.content, m.http_status) != (m.valid.content, m.valid.http_status)
        error = _raised(m)
        assert (m.field, marketplace, True) == (error.field, error.marketplace, changed)

    def test_imweb_names_a_wrongly_typed_item_order_no(self) -> None:
        """A prod-orders row whose order_no is not a number is named down to the field."""
        self._imweb_names(
            "prod_orders", [{"order_no": True, "status": "COMPLETE"}], "data[0].order_no"
        )

    @pytest.mark.parametrize("key", ["pagination", "pagenation"])
    def test_imweb_names_the_pagination_spelling_it_got(self, key: str) -> None:
        """A wrongly typed pagination object is named as the answer spells it (imweb's
        ``pagenation`` or the accepted ``pagination``), not as the other spelling."""
        self._imweb_names("orders_page", {"list": [], key: "x"}, f"data.{key}")

    def test_imweb_names_a_missing_pagination_as_imweb_spells_it(self) -> None:
        """An order list with neither spelling names imweb's own, ``data.pagenation``."""
        self._imweb_names("orders_page", {"list": []}, "data.pagenation", Problem.MISSING)

    def _imweb_names(
        self, kind: str, body: object, field: str, problem: Problem = Problem.WRONG_TYPE
    ) -> None:
        envelope = {
            "msg": "SUCCESS",
            "code": 200,
            "request_count": 1,
            "version": "v2",
            "data": body,
        }
        valid = WirePayload(MP.IMWEB, kind, envelope, refs=(OrderRef("1:11", "1"),))
        m = Malformed(envelope, field, 200, problem, valid)
        assert field == _raised(m).field

    @pytest.mark.parametrize(
        ("order_id", "op_id", "field"),
        [("O2", "OP1", "ordNo"), ("O1", "OP2", "ordSeq"), ("O2", "OP2", "ordNo")],
    )
    def test_x2bee_names_the_id_of_another_line(
        self, order_id: str, op_id: str, field: str
    ) -> None:
        """A claimDetailsInfoFO answer for another order line names the id that differs: ordNo
        for another order (first, when both differ), ordSeq for another line of the order."""
        body = {"ordNo": order_id, "ordSeq": op_id, "ordDtlStatCd": "40", "claimList": []}
        valid = WirePayload(MP.X2BEE, "details", body, refs=(OrderRef("OP1", "O1"),))
        m = Malformed(body, field, 200, Problem.INCONSISTENT, valid)
        assert field == _raised(m).field


# --- properties -----------------------------------------------------------------------------------


class TestProperties:
    @pytest.mark.parametrize(("marketplace", "kind"), ALL_KINDS)
    @given(data=st.data())
    @settings(max_examples=10)
    def test_async_adapter_reads_the_same(
        self, marketplace: str, kind: str, data: st.DataObject
    ) -> None:
        """The async adapter reads a valid payload as the sync one does: the same values, or the
        same error class."""
        p = data.draw(wire_payloads(marketplace, kind))

        async def read_async() -> object:
            async with mock_async_client(p.marketplace, serving(p.response, p)) as adapter:
                result = call(adapter, p)
                return [await r for r in result] if isinstance(result, list) else await result

        assert _outcome(lambda: _read_back(p)) == _outcome(lambda: asyncio.run(read_async()))

    @given(wire_payloads("toss", "orders_page", min_items=1), st.randoms())
    def test_toss_read_does_not_depend_on_claim_order(self, p: WirePayload, rnd: Any) -> None:
        """Shuffling the claims page does not change what reading an order product back gives
        (claims are ordered by request time)."""
        (claims,) = p.companions
        items = list(claims.body["success"]["items"])
        rnd.shuffle(items)
        body = {**claims.body, "success": {**claims.body["success"], "items": items}}
        shuffled = attrs.evolve(p, companions=(attrs.evolve(claims, body=body),))
        with mock_client(MP.TOSS, serving(p.response, p)) as a:
            before = [a.read(ref) for ref in p.refs]
        with mock_client(MP.TOSS, serving(p.response, shuffled)) as a:
            after = [a.read(ref) for ref in p.refs]
        assert before == after

    @given(wire_payloads("imweb", "action"))
    def test_imweb_action_partitions_the_items(self, p: WirePayload) -> None:
        """An imweb action answer accounts for every item exactly once: succeeded or failed."""
        result = _read_back(p)
        assert p.action is not None
        assert (sorted(p.action.items), ()) == (
            sorted(result.succeeded + tuple(i.order_product_id for i in result.failed)),
            tuple(set(result.succeeded) & {i.order_product_id for i in result.failed}),
        )

    @given(wire_payloads("x2bee", "details", sources=order_products("x2bee", max_steps=3)))
    def test_sources_argument_draws_the_states(self, p: WirePayload) -> None:
        """A given order-product strategy is what the payload shows (here: short walks)."""
        (op,) = p.sources
        assert (op.id, "x2bee") == (p.body["ordSeq"], op.marketplace)

    def test_unknown_kind_or_marketplace_is_refused(self) -> None:
        """An unknown kind or marketplace is an InvalidInputError naming it."""
        with pytest.raises(cf.InvalidInputError) as kind:
            wire_payloads("toss", "prod_orders")
        with pytest.raises(cf.InvalidInputError) as mp:
            malformed_payloads("naver", "orders_page")
        assert ("kind", "marketplace") == (kind.value.field, mp.value.field)

    def test_sources_of_another_marketplace_are_refused(self) -> None:
        """Rendering a Toss order product as an imweb answer is an error naming sources."""

        @given(wire_payloads("imweb", "prod_orders", sources=order_products("toss")))
        @settings(max_examples=1, phases=[Phase.generate])
        def draw(_p: WirePayload) -> None:
            pass  # pragma: no cover - drawing raises

        with pytest.raises(cf.InvalidInputError) as e:
            draw()
        assert "sources" == e.value.field
