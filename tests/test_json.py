"""JSON through one cattrs converter (claimflow._json): shapes, round trips, strict reading."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import claimflow as cf
from claimflow._json import dumps, loads


def _walk(mp: cf.Marketplace) -> list[cf.Applied]:
    """A return journey on *mp*: request, approve, collect, complete (the events and values)."""
    op = cf.OrderProduct("op-1", mp, "DELIVERED", "SKU-1", 12_000, quantity=2)
    steps = [
        (
            "return.request",
            "BUYER",
            {"reason": "사이즈"} if mp != "imweb" else {"reason_code": "INTENT_CHANGED"},
        ),
        ("return.approve", "SELLER", {}),
        ("return.collect", "SELLER", {}),
        ("return.complete", "SELLER", {}),
    ]
    out = []
    for action, actor, params in steps:
        done = cf.apply(
            op, action, actor, at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), **params
        )
        out.append(done)
        op = done.order_product
    return out


class TestRoundTrip:
    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_values_of_a_journey_round_trip(self, mp: cf.Marketplace) -> None:
        """Every order product, event and decision of a journey reads back equal from JSON."""
        for done in _walk(mp):
            for value, cls in (
                (done.order_product, cf.OrderProduct),
                (done.event, cf.HistoryEvent),
                (done.decision, cf.Decision),
            ):
                assert value == loads(dumps(value), cls)  # type: ignore[arg-type]

    @pytest.mark.parametrize("mp", list(cf.Marketplace))
    def test_every_reachable_state_round_trips(self, mp: cf.Marketplace) -> None:
        """An order product in any state the rules can produce reads back equal."""
        for status, claim, _ in cf.reachable_states(mp):
            op = cf.OrderProduct("op", mp, status, "I", 1_000, open_claim=claim)
            assert op == cf.from_json(cf.to_json(op), cf.OrderProduct)


class TestShape:
    def test_documented_shape(self) -> None:
        """Enums are their values, params an object, datetimes ISO with offset, money ints."""
        done = _walk(cf.Marketplace.TOSS)[-1]
        event = json.loads(dumps(done.event))
        assert "return.complete" == event["action"]
        assert "2026-12-01T09:00:00+00:00" == event["at"]
        (refund,) = event["effects"]
        assert {"kind": "REFUND", "amount": 24_000, "carrier": None, "tracking_number": None} == {
            k: refund[k] for k in ("kind", "amount", "carrier", "tracking_number")
        }
        # rules.md M4: the quote travels with the effect, its parts as integer won
        assert 24_000 == refund["quote"]["refund"]
        assert "M4" == refund["quote"]["rule"]
        request = json.loads(dumps(_walk(cf.Marketplace.TOSS)[0].decision))
        assert {"reason": "사이즈"} == request["params"]

    def test_date_and_item_params_become_json(self) -> None:
        """A date parameter is an ISO string; an x2bee candidate item an object."""
        op = cf.OrderProduct("op", "toss", "PREPARING", "I", 1_000)
        # rules.md D5: the new deadline lies at most 14 days out
        deadline = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date() + dt.timedelta(5)
        d = cf.check(op, "order.delay", "SELLER", shipping_deadline=deadline)
        assert {"shipping_deadline": deadline.isoformat()} == cf.to_json(d)["params"]
        x = cf.OrderProduct("op", "x2bee", "PAID", "I", 1_000)
        item = cf.CandidateItem("J", 1_000, True, 5)
        d = cf.check(x, "option.change", "BUYER", new_item=item)
        expected = {"item_id": "J", "unit_price": 1_000, "on_sale": True, "stock": 5}
        expected["reservation"] = False  # rules.md X2: a reservation item is no candidate
        assert {"new_item": expected} == cf.to_json(d)["params"]


class TestStrict:
    @pytest.mark.parametrize(
        ("change", "path"),
        [
            ({"status": "SHIPPED"}, "$.status"),
            ({"unit_price": "1000"}, "$.unit_price"),
            ({"item_id": 7}, "$.item_id"),
            ({"auto_refundable": "false"}, "$.auto_refundable"),
            ({"quantity": True}, "$.quantity"),
            ({"colour": "red"}, "$"),
            (
                {
                    "open_claim": {
                        "id": "c",
                        "type": "RETURN",
                        "status": "NOPE",
                        "origin_status": "DELIVERED",
                    }
                },
                "$.open_claim.status",
            ),
        ],
    )
    def test_bad_input_names_the_path(self, change: dict[str, object], path: str) -> None:
        """A wrong value, type or key is InvalidInputError naming where it is."""
        data = {
            "id": "op",
            "marketplace": "toss",
            "status": "DELIVERED",
            "item_id": "I",
            "unit_price": 1_000,
            **change,
        }
        with pytest.raises(cf.InvalidInputError) as exc:
            cf.from_json(data, cf.OrderProduct)
        assert path == exc.value.field
        assert path in str(exc.value)

    def test_not_json_is_bad_input(self) -> None:
        """Text that is not JSON at all is InvalidInputError too."""
        with pytest.raises(cf.InvalidInputError, match="not JSON"):
            loads("{oops", cf.OrderProduct)

    @pytest.mark.parametrize("text", ['[{"id": "OP-1"}]', '"OP-1"', "3", "null"])
    def test_a_document_that_is_not_an_object_is_bad_input(self, text: str) -> None:
        """A JSON list, string, number or null where an order product is read is
        InvalidInputError saying an object was expected (no Python internals in the message)."""
        with pytest.raises(cf.InvalidInputError) as e:
            loads(text, cf.OrderProduct)
        assert ("$", True, False) == (
            e.value.field,
            "expected a JSON object" in str(e.value),
            "attribute" in str(e.value),
        )


class TestNoSideEffects:
    def test_annotations_stay_as_declared(self) -> None:
        """A JSON round trip (cattrs resolves annotations to build its hooks) leaves the values'
        attrs annotations as declared, so the API reference does not depend on it running
        first; a second round trip still works."""
        import attrs  # noqa: PLC0415

        claim = cf.Claim("c", "RETURN", "REQUESTED", "DELIVERED")
        op = cf.OrderProduct("op", "toss", "DELIVERED", "I", 1_000, open_claim=claim)
        for _ in range(2):
            assert op == loads(dumps(op), cf.OrderProduct)
            assert ("Status", "Claim | None", "ClaimType") == (
                attrs.fields(cf.OrderProduct).status.type,
                attrs.fields(cf.OrderProduct).open_claim.type,
                attrs.fields(cf.Claim).type.type,
            )
