"""The codecs' one request-body template (claimflow.adapters.codecs.Template) in both directions,
and the refusals each codec answers for its emulator.

The golden samples (tests/test_golden.py) prove what the adapter sends; these tests hold what the
template does beyond the documented examples: amounts split per item read back, a body that does
not fit refused naming the field, documented fields claimflow never sends accepted, a read's body
rendered without an action, and every refusal in the envelope the marketplace's own reader reads.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import claimflow as cf
from claimflow.adapters import RemoteAction
from claimflow.adapters.codecs import Refusal, TemplateMismatch
from claimflow.adapters.codecs import imweb as imweb_codec
from claimflow.adapters.codecs import toss as toss_codec
from claimflow.adapters.codecs import x2bee as x2bee_codec

ORDER = "202611290001"
ITEMS = (f"{ORDER}:2026112900011", f"{ORDER}:2026112900012")
PRODS = ["2026112900011", "2026112900012"]
CODECS: dict[str, Any] = {"toss": toss_codec, "imweb": imweb_codec, "x2bee": x2bee_codec}


def _imweb(action: str, **params: object) -> RemoteAction:
    return RemoteAction(
        "imweb",
        action,
        ITEMS[0],
        order_id=ORDER,
        item_ids=ITEMS,
        params=tuple(sorted(params.items())),
    )


def _imweb_body(action: cf.Action, remote: RemoteAction) -> object:
    body = imweb_codec.ACTIONS[action].body
    assert body is not None
    return body(remote)


class TestImwebTemplate:
    def test_a_split_charge_reads_back_on_each_item(self) -> None:
        """etc_price entries for two items read back as each item's own extra charge (imweb's
        lists are per item, §5.2), the memo on both."""
        route = imweb_codec.ACTION_ROUTES[("return", "return_done")]
        body = {
            "prod_order_no": PRODS,
            "etc": {
                "claim_memo": "나눠 청구",
                "etc_price": [
                    {"prod_order_no": PRODS[0], "price": 1000},
                    {"prod_order_no": PRODS[1], "price": 2000},
                ],
            },
        }
        action, prods, per_item = imweb_codec.decode_request(route, body, PRODS)
        assert (cf.Action.RETURN_COMPLETE, PRODS) == (action, prods)
        assert {
            PRODS[0]: {"memo": "나눠 청구", "extra_charge": 1000},
            PRODS[1]: {"memo": "나눠 청구", "extra_charge": 2000},
        } == per_item

    @pytest.mark.parametrize(
        "entries",
        [
            pytest.param([{"prod_order_no": "9999", "price": 1000}], id="item-not-in-call"),
            pytest.param(
                [{"prod_order_no": PRODS[0], "price": 1}, {"prod_order_no": PRODS[0], "price": 2}],
                id="item-twice",
            ),
            pytest.param([{"prod_order_no": PRODS[0], "price": -5}], id="negative"),
            pytest.param([{"prod_order_no": PRODS[0], "price": True}], id="bool"),
            pytest.param([{"prod_order_no": PRODS[0]}], id="no-amount"),
            pytest.param({"prod_order_no": PRODS[0], "price": 1}, id="not-a-list"),
        ],
    )
    def test_a_malformed_amount_list_is_refused(self, entries: object) -> None:
        """An etc_price that names an item outside the call, an item twice, or no whole amount
        is refused (the emulator answers -10), never applied."""
        route = imweb_codec.ACTION_ROUTES[("cancel", "accept")]
        body = {"prod_order_no": PRODS, "etc": {"etc_price": entries}}
        with pytest.raises(imweb_codec.ImwebRequestError):
            imweb_codec.decode_request(route, body, PRODS)

    def test_no_etc_is_sent_without_data_and_an_empty_or_null_one_is_read(self) -> None:
        """An action with nothing to say sends no etc; reading, an absent, empty or null etc and
        an absent prod_order_no (the whole order) are accepted."""
        remote = _imweb("return.approve")
        route = imweb_codec.ACTION_ROUTES[("return", "accept")]
        read = [
            imweb_codec.decode_request(route, body, PRODS)[:2]
            for body in ({"etc": None}, {"prod_order_no": PRODS, "etc": {}}, None)
        ]
        assert {"prod_order_no": PRODS} == _imweb_body(cf.Action.RETURN_APPROVE, remote)
        assert [(cf.Action.RETURN_APPROVE, PRODS)] * 3 == read

    def test_a_zero_amount_is_not_sent(self) -> None:
        """An extra charge or point refund of 0 sends no entry (nothing charged)."""
        remote = _imweb("cancel.approve", extra_charge=0, refund_points=0)
        assert {"prod_order_no": PRODS} == _imweb_body(cf.Action.CANCEL_APPROVE, remote)

    @pytest.mark.parametrize("amount", [-3000, "3000", 2.5, True])
    def test_an_amount_that_is_not_whole_won_is_refused_before_sending(
        self, amount: object
    ) -> None:
        """An extra charge that is negative, a string, a fraction or a bool never reaches the
        wire: InvalidInputError naming the parameter (the emulator would refuse it too)."""
        remote = _imweb("return.complete", extra_charge=amount)
        with pytest.raises(cf.InvalidInputError) as e:
            _imweb_body(cf.Action.RETURN_COMPLETE, remote)
        assert "extra_charge" == e.value.field

    def test_a_documented_unused_field_is_accepted_and_never_sent(self) -> None:
        """exchange/accept's single etc_price is documented but claimflow has no parameter for
        it: the emulator accepts it and reads nothing from it; the adapter never sends it."""
        route = imweb_codec.ACTION_ROUTES[("exchange", "accept")]
        body = {"prod_order_no": PRODS[:1], "etc": {"etc_price": 3000}}
        action, per_item = imweb_codec.decode_action(route, body["etc"], PRODS[:1])
        sent = _imweb_body(cf.Action.EXCHANGE_APPROVE, _imweb("exchange.approve"))
        assert (cf.Action.EXCHANGE_APPROVE, {PRODS[0]: {}}) == (action, per_item)
        assert {"prod_order_no": PRODS} == sent

    @pytest.mark.parametrize(
        ("etc", "field"),
        [
            pytest.param({"parcel_code": "NOPE", "invoice_no": "1"}, "parcel_code", id="carrier"),
            pytest.param({"parcel_code": "CJGLS"}, "invoice_no", id="missing"),
            pytest.param({"parcel_code": "CJGLS", "invoice_no": "1", "x": 1}, "x", id="unknown"),
        ],
    )
    def test_a_body_that_fits_no_template_names_the_field(
        self, etc: dict[str, object], field: str
    ) -> None:
        """A cancel rejection with an unknown carrier code, without its invoice or with an
        unknown field is refused naming that field."""
        route = imweb_codec.ACTION_ROUTES[("cancel", "reject")]
        with pytest.raises(imweb_codec.ImwebRequestError, match=re.escape(f"etc.{field}")):
            imweb_codec.decode_action(route, etc, PRODS[:1])

    def test_the_exchange_hold_reason_reads_back_as_its_detail(self) -> None:
        """exchange/withhold's reason_code must be a documented one; the reason read back is the
        detail when there is one, else the code."""
        route = imweb_codec.ACTION_ROUTES[("exchange", "withhold")]
        with_detail = {"reason_code": "EXCHANGE_EXTRAFEE", "reason_detail": "추가금"}
        read = [
            imweb_codec.decode_action(route, etc, PRODS[:1])[1][PRODS[0]]["reason"]
            for etc in (with_detail, {"reason_code": "EXCHANGE_HOLDBACK"})
        ]
        with pytest.raises(imweb_codec.ImwebRequestError, match="reason_code"):
            imweb_codec.decode_action(route, {"reason_code": "LATER"}, PRODS[:1])
        assert ["추가금", "EXCHANGE_HOLDBACK"] == read

    def test_exchange_reject_without_a_carrier_is_refused_before_rendering(self) -> None:
        """The template's guard refuses exchange.reject without carrier and tracking number with
        NotSupportedError (documented call, parameters the rule does not take)."""
        with pytest.raises(cf.NotSupportedError) as e:
            _imweb_body(cf.Action.EXCHANGE_REJECT, _imweb("exchange.reject", reason="품절"))
        assert e.value.documented


class TestTossTemplate:
    def test_a_missing_required_field_is_refused_naming_it(self) -> None:
        """A cancel rejection without its tracking number does not fit the template: refused
        naming body.shippingTrackingNumber, not passed on as an action without it."""
        path = f"{toss_codec.API_PREFIX}/claims/1/cancel/rejection"
        with pytest.raises(TemplateMismatch) as e:
            toss_codec.decode_action("POST", path, {"deliveryCompany": "CJ대한통운"})
        assert ("body.shippingTrackingNumber", "missing") == (e.value.field, e.value.problem)

    @pytest.mark.parametrize("body", [None, {}])
    def test_an_endpoint_without_a_body_takes_none_or_an_empty_object(self, body: object) -> None:
        """A claim approval reads back with no body or {}; its claim id comes from the path."""
        path = f"{toss_codec.API_PREFIX}/claims/77/return/approval"
        decoded = toss_codec.decode_action("POST", path, body)
        assert decoded is not None
        assert (cf.Action.RETURN_APPROVE, {"claim_id": "77"}, {}) == (
            decoded.action,
            dict(decoded.ids),
            dict(decoded.params),
        )

    def test_an_endpoint_without_a_body_refuses_fields(self) -> None:
        """A field sent to an endpoint that takes no body is an unknown field."""
        path = f"{toss_codec.API_PREFIX}/claims/77/return/approval"
        with pytest.raises(TemplateMismatch, match=re.escape("body.reason: unknown field")):
            toss_codec.decode_action("POST", path, {"reason": "x"})

    def test_a_missing_parameter_is_refused_before_sending(self) -> None:
        """Rendering a rejection without its carrier raises InvalidInputError naming the
        parameter and the body field."""
        remote = RemoteAction("toss", "cancel.reject", "OP-1", claim_id="1")
        body = toss_codec.ACTIONS[cf.Action.CANCEL_REJECT].body
        assert body is not None
        with pytest.raises(cf.InvalidInputError, match="'deliveryCompany'") as e:
            body(remote)
        assert "carrier" == e.value.field

    def test_a_value_of_the_wrong_kind_is_refused_naming_it(self) -> None:
        """A delay whose shipping deadline is a string, not a date, is InvalidInputError naming
        shipping_deadline, not a TypeError from deep inside the template."""
        remote = RemoteAction("toss", "order.delay", "OP-1", params={"shipping_deadline": "x"})
        body = toss_codec.ACTIONS[cf.Action.ORDER_DELAY].body
        assert body is not None
        with pytest.raises(cf.InvalidInputError, match="shippingDeadlineAt") as e:
            body(remote)
        assert "shipping_deadline" == e.value.field


class TestX2beeTemplates:
    def test_a_read_body_renders_without_an_action(self) -> None:
        """claimDetailsInfoFO's body is filled from the read's ids; the optional claimNo is left
        out, and the emulator reads the same body back."""
        template = x2bee_codec.READS["claim_details"].body
        assert template is not None
        body = template.fill({"order_id": "O1", "order_product_id": "S1"})
        assert {"ordNo": "O1", "ordSeq": "S1"} == body
        assert {"order_id": "O1", "order_product_id": "S1"} == template.parse(body)

    def test_a_refusal_names_the_wire_field_of_a_parameter(self) -> None:
        """The cancel template says which body field carries each parameter (the emulator's
        field errors name them)."""
        template = x2bee_codec.ROUTES[cf.Action.CANCEL_REQUEST].body
        assert template is not None
        names = template.wire_names()
        assert ("claimRsnCont", "rfdAmt", "ordSeq") == (
            names["reason"],
            names["refund_amount"],
            names["order_product_id"],
        )

    def test_a_pickup_call_reads_back_every_target(self) -> None:
        """saveWithdrawStatUpdateProcess with two targets reads back both targets' ids and the
        step for each claim type (returns and exchanges share the codes)."""
        entry = {"ordNo": "O1", "ordSeq": "S1", "claimNo": "C1", "hdcCd": "04", "invNo": "1"}
        body = {
            "ordDtlStatCd": "35",
            "updateTargetOrdDtlStatCd": "36",
            "withdrawStatUpdateSaveInfoList": [entry, {**entry, "ordSeq": "S2"}],
        }
        steps, targets = x2bee_codec.decode_pickup(body)
        assert {
            cf.ClaimType.RETURN: cf.Action.RETURN_COLLECT,
            cf.ClaimType.EXCHANGE: cf.Action.EXCHANGE_COLLECT,
        } == steps
        assert ["S1", "S2"] == [t["order_product_id"] for t in targets]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            pytest.param(
                {"ordDtlStatCd": "36", "updateTargetOrdDtlStatCd": "37",
                 "withdrawStatUpdateSaveInfoList": [{"ordNo": "O", "ordSeq": "S", "claimNo": "C"}]},
                "body.updateTargetOrdDtlStatCd",
                id="no-such-step",
            ),
            pytest.param(
                {"ordDtlStatCd": "33", "updateTargetOrdDtlStatCd": "35",
                 "withdrawStatUpdateSaveInfoList": []},
                "body.withdrawStatUpdateSaveInfoList",
                id="no-targets",
            ),
        ],
    )  # fmt: skip
    def test_a_pickup_call_that_fits_no_step_is_refused(
        self, body: dict[str, object], field: str
    ) -> None:
        """A pickup call with codes of no pickup step, or without targets, is refused naming the
        field."""
        with pytest.raises(TemplateMismatch) as e:
            x2bee_codec.decode_pickup(body)
        assert field == e.value.field


class TestRefusals:
    @pytest.mark.parametrize("refusal", list(Refusal))
    @pytest.mark.parametrize("name", sorted(CODECS))
    def test_every_refusal_is_the_marketplaces_own_error(self, name: str, refusal: Refusal) -> None:
        """Each refusal an emulator answers is an error envelope the marketplace's own reader
        (the codec's unwrap) reads as that refusal's code, with the message."""
        codec = CODECS[name]
        status, body = codec.encode_refusal(refusal, "거절")
        envelope = codec.unwrap(200, body)
        expected_status, code = codec.REFUSALS[refusal]
        assert (expected_status, False, str(code)) == (status, envelope.ok, envelope.code)
        assert "거절" in (envelope.message or "")

    @pytest.mark.parametrize(
        ("name", "headers", "token"),
        [
            ("toss", {"authorization": "Bearer abc"}, "abc"),
            ("toss", {"access-token": "abc"}, ""),
            ("imweb", {"access-token": "abc"}, "abc"),
            ("imweb", {"authorization": "Bearer abc"}, ""),
            ("x2bee", {"authorization": "Bearer abc"}, "abc"),
            ("x2bee", {"authorization": "abc"}, ""),
        ],
    )
    def test_the_credential_is_read_from_the_marketplaces_header(
        self, name: str, headers: dict[str, str], token: str
    ) -> None:
        """Toss and x2bee carry the token as Authorization: Bearer, imweb as access-token;
        another header carries none."""
        assert token == CODECS[name].read_token(headers)
