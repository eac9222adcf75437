"""The API contract of check, apply, allowed_actions and refused_actions.

What holds for every rule: check never mutates, apply returns a new versioned order product and
its history event or raises with the decision, bad input is a typed error naming the field, and
refusals explain themselves in Korean and English.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest

import claimflow as cf
from claimflow._vocab import SEOUL

A, S, CT, CS, EK = cf.Action, cf.Status, cf.ClaimType, cf.ClaimStatus, cf.EffectKind

HANGUL = re.compile("[가-힣]")
DELIVERY = {"carrier": "CJ대한통운", "tracking_number": "6012-3456-7890"}
AT = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)


def fresh(mp: str = "toss", status: str = "PAID", **fields: Any) -> cf.OrderProduct:
    """A new order product: 2 x 12,000 won."""
    return cf.OrderProduct("OP-1", mp, status, "ITEM-A", 12_000, quantity=2, **fields)


def delivered(mp: str = "toss") -> cf.OrderProduct:
    """An order product walked to DELIVERED with no claim."""
    op = cf.apply(fresh(mp), "order.ship", "SELLER", **DELIVERY).order_product
    return cf.apply(op, "order.deliver", "SYSTEM").order_product


def return_requested(mp: str = "toss") -> cf.OrderProduct:
    """An order product with an open return request made at DELIVERED."""
    params = {"reason_code": "INTENT_CHANGED"} if mp == "imweb" else {"reason": "단순 변심"}
    return cf.apply(delivered(mp), "return.request", "BUYER", **params).order_product


def kst_today() -> dt.date:
    """Today in Korea, the day order.delay's deadline is compared with."""
    return dt.datetime.now(SEOUL).date()


class TestCheckIsPure:
    @pytest.mark.parametrize(
        ("action", "actor", "params"),
        [
            ("return.approve", "SELLER", {}),  # allowed
            ("return.reject", "SELLER", {}),  # refused: missing reason
            ("cancel.request", "BUYER", {"reason": "변심"}),  # refused: wrong status
            ("return.approve", "BUYER", {}),  # refused: wrong actor
        ],
    )
    def test_check_does_not_mutate(self, action: str, actor: str, params: dict[str, Any]) -> None:
        """check leaves the order product equal to what it was, allowed or refused."""
        op = return_requested()
        snapshot = copy.deepcopy(op)

        decision = cf.check(op, action, actor, **params)

        assert isinstance(decision, cf.Decision)
        assert snapshot == op

    def test_check_twice_gives_the_same_answer(self) -> None:
        """Asking twice gives equal decisions: nothing was consumed by the first check."""
        op = return_requested()

        assert cf.check(op, "return.approve", "SELLER") == cf.check(op, "return.approve", "SELLER")

    def test_check_accepts_enums_and_strings(self) -> None:
        """Action and actor may be given as enum members or as their string ids."""
        op = return_requested()

        assert cf.check(op, A.RETURN_APPROVE, cf.Actor.SELLER) == cf.check(
            op, "return.approve", "SELLER"
        )


class TestApply:
    def test_returns_a_new_order_product(self) -> None:
        """apply returns a new object one version on; the given one is unchanged."""
        op = return_requested()
        snapshot = copy.deepcopy(op)

        new = cf.apply(op, "return.approve", "SELLER").order_product

        assert new is not op
        assert snapshot == op
        assert (op.version + 1, S.RETURN_COLLECTING) == (new.version, new.status)

    def test_versions_count_the_actions(self) -> None:
        """Each applied action adds one to the version, starting from 0."""
        op = return_requested()

        assert 3 == op.version  # ship, deliver, return.request

    def test_history_event_for_a_move(self) -> None:
        """The event of a claim move names the order product, rule, statuses, claim and time."""
        op = return_requested()
        assert op.open_claim is not None

        event = cf.apply(op, "return.approve", "SELLER", at=AT).event

        expected = cf.HistoryEvent(
            order_product_id="OP-1",
            version=op.version + 1,
            marketplace=cf.Marketplace.TOSS,
            action=A.RETURN_APPROVE,
            actor=cf.Actor.SELLER,
            rule_id="T8",
            from_status=S.DELIVERED,
            to_status=S.RETURN_COLLECTING,
            claim_id=op.open_claim.id,
            claim_type=CT.RETURN,
            claim_status_before=CS.REQUESTED,
            claim_status_after=CS.APPROVED,
            effects=(),
            params=(),
            at=AT,
        )
        assert expected == event

    def test_history_event_for_a_new_claim(self) -> None:
        """Opening a claim records its id (given or default), no status before, and the params."""
        op = delivered()

        named = cf.apply(op, "return.request", "BUYER", claim_id="TOSS-R-77", reason="파손")
        default = cf.apply(op, "return.request", "BUYER", reason="파손")

        assert ("TOSS-R-77", None, CS.REQUESTED, (("reason", "파손"),)) == (
            named.event.claim_id,
            named.event.claim_status_before,
            named.event.claim_status_after,
            named.event.params,
        )
        assert "TOSS-R-77" == named.order_product.open_claim.id  # type: ignore[union-attr]
        assert "OP-1-C1" == default.event.claim_id

    def test_history_event_carries_effects(self) -> None:
        """The event carries the decision's effects, and so does the Applied result."""
        applied = cf.apply(fresh(), "cancel.request", "BUYER", reason="변심", at=AT)

        assert (cf.Effect(EK.REFUND, amount=24_000),) == applied.event.effects
        assert applied.decision.effects == applied.effects
        assert applied.event.effects == applied.effects

    def test_default_time_is_now_utc(self) -> None:
        """Without *at* the event is stamped with the current time in UTC."""
        before = dt.datetime.now(dt.UTC)

        event = cf.apply(fresh(), "order.prepare", "SELLER").event

        after = dt.datetime.now(dt.UTC)
        assert before <= event.at <= after
        assert dt.timedelta(0) == event.at.utcoffset()


class TestApplyRefused:
    def test_raises_with_the_decision(self) -> None:
        """A refused apply raises ActionRefusedError carrying the same Decision check gives."""
        op = delivered()

        with pytest.raises(cf.ActionRefusedError) as e:
            cf.apply(op, "cancel.request", "BUYER", reason="변심")

        assert cf.check(op, "cancel.request", "BUYER", reason="변심") == e.value.decision
        assert (False, "WRONG_STATUS") == (e.value.decision.allowed, e.value.decision.codes[0])
        assert e.value.decision.explain() == str(e.value)

    def test_original_unchanged(self) -> None:
        """A refused apply leaves the order product exactly as it was."""
        op = return_requested()
        snapshot = copy.deepcopy(op)

        with pytest.raises(cf.ActionRefusedError):
            cf.apply(op, "return.reject", "SELLER")  # reason missing

        assert snapshot == op

    def test_is_a_claimflow_error(self) -> None:
        """ActionRefusedError is caught by the library's root error."""
        with pytest.raises(cf.ClaimflowError):
            cf.apply(fresh(), "order.deliver", "SYSTEM")


class TestExpectedVersion:
    def test_mismatch_raises_stale(self) -> None:
        """An expected version other than the current one raises StaleVersionError."""
        op = delivered()
        snapshot = copy.deepcopy(op)

        with pytest.raises(cf.StaleVersionError) as e:
            cf.apply(op, "return.request", "BUYER", expected_version=op.version - 1, reason="x")

        assert (op.version - 1, op.version) == (e.value.expected, e.value.actual)
        assert snapshot == op

    def test_match_applies(self) -> None:
        """The current version as expected_version lets the action through."""
        op = delivered()

        new = cf.apply(op, "return.request", "BUYER", expected_version=op.version, reason="x")

        assert op.version + 1 == new.order_product.version

    def test_stale_checked_before_the_rules(self) -> None:
        """A stale version is reported even for an action that would be refused anyway."""
        with pytest.raises(cf.StaleVersionError):
            cf.apply(fresh(), "order.deliver", "SYSTEM", expected_version=5)


class TestUnknownValues:
    @pytest.mark.parametrize("call", ["check", "apply"])
    def test_unknown_action(self, call: str) -> None:
        """An action string that is no action raises UnknownValueError naming ``action``."""
        fn = getattr(cf, call)

        with pytest.raises(cf.UnknownValueError) as e:
            fn(fresh(), "cancel.requets", "BUYER")

        assert "action" == e.value.field
        assert "cancel.requets" in str(e.value)

    @pytest.mark.parametrize("call", ["check", "apply"])
    def test_unknown_actor(self, call: str) -> None:
        """An actor string that is no actor raises UnknownValueError naming ``actor``."""
        fn = getattr(cf, call)

        with pytest.raises(cf.UnknownValueError) as e:
            fn(fresh(), "order.prepare", "ADMIN")

        assert "actor" == e.value.field

    @pytest.mark.parametrize("fn", [cf.allowed_actions, cf.refused_actions])
    def test_unknown_actor_in_listings(self, fn: Any) -> None:
        """allowed_actions and refused_actions reject an unknown actor the same way."""
        with pytest.raises(cf.UnknownValueError) as e:
            fn(fresh(), "seller")

        assert "actor" == e.value.field

    def test_unknown_value_is_invalid_input(self) -> None:
        """UnknownValueError is an InvalidInputError, a ValueError and a ClaimflowError."""
        with pytest.raises(cf.UnknownValueError) as e:
            cf.check(fresh(), "nope", "BUYER")

        assert isinstance(e.value, cf.InvalidInputError)
        assert isinstance(e.value, ValueError)
        assert isinstance(e.value, cf.ClaimflowError)


class TestUnknownParameters:
    def test_allowed_state(self) -> None:
        """A parameter the action does not take raises UnknownParameterError naming it."""
        with pytest.raises(cf.UnknownParameterError) as e:
            cf.check(fresh(), "order.prepare", "SELLER", colour="red")

        assert "colour" == e.value.field

    def test_typo_beside_a_known_parameter(self) -> None:
        """A misspelt parameter is named even when the other ones are right."""
        with pytest.raises(cf.UnknownParameterError) as e:
            cf.check(fresh(), "order.ship", "SELLER", carrier="CJ", tracking_numbr="123456")

        assert "tracking_numbr" == e.value.field

    def test_refused_for_its_state(self) -> None:
        """The unknown parameter is an error even when the state refuses the action anyway."""
        with pytest.raises(cf.UnknownParameterError) as e:
            cf.check(delivered(), "cancel.request", "BUYER", reason="x", reasn="x")

        assert "reasn" == e.value.field

    def test_refused_by_a_guard(self) -> None:
        """The unknown parameter is an error even when a guard refuses the action."""
        op = cf.apply(
            fresh("imweb", auto_refundable=False),
            "cancel.request",
            "BUYER",
            reason_code="INTENT_CHANGED",
        ).order_product

        with pytest.raises(cf.UnknownParameterError) as e:
            cf.check(op, "cancel.approve", "SELLER", extra_charg=100)

        assert "extra_charg" == e.value.field

    def test_refused_for_its_actor(self) -> None:
        """The unknown parameter is an error even when the actor may not take the action."""
        with pytest.raises(cf.UnknownParameterError) as e:
            cf.check(fresh(), "order.prepare", "BUYER", colour="red")

        assert "colour" == e.value.field

    def test_apply_too(self) -> None:
        """apply raises the same error and changes nothing."""
        op = fresh()

        with pytest.raises(cf.UnknownParameterError) as e:
            cf.apply(op, "cancel.request", "BUYER", reason="x", urgent=True)

        assert "urgent" == e.value.field
        assert 0 == op.version


class TestOrderProductValidation:
    def test_unknown_status(self) -> None:
        """An unknown status string raises UnknownValueError naming ``status``."""
        with pytest.raises(cf.UnknownValueError) as e:
            fresh(status="SHIPPED")

        assert "status" == e.value.field

    def test_unknown_marketplace(self) -> None:
        """An unknown marketplace raises UnknownValueError naming ``marketplace``."""
        with pytest.raises(cf.UnknownValueError) as e:
            fresh(mp="coupang")

        assert "marketplace" == e.value.field

    @pytest.mark.parametrize("price", [-1, -12_000, 1.5, "12000"])
    def test_bad_unit_price(self, price: object) -> None:
        """A negative or non-integer unit price raises InvalidInputError naming ``unit_price``."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.OrderProduct("OP-1", "toss", "PAID", "ITEM-A", price)  # type: ignore[arg-type]

        assert "unit_price" == e.value.field

    def test_zero_quantity(self) -> None:
        """A quantity below one raises InvalidInputError naming ``quantity``."""
        with pytest.raises(cf.InvalidInputError) as e:
            cf.OrderProduct("OP-1", "toss", "PAID", "ITEM-A", 12_000, quantity=0)

        assert "quantity" == e.value.field

    def test_unknown_claim_status(self) -> None:
        """An unknown claim status raises UnknownValueError naming ``claim.status``."""
        with pytest.raises(cf.UnknownValueError) as e:
            cf.Claim("c", "RETURN", "PENDING", "DELIVERED")

        assert "claim.status" == e.value.field

    def test_strings_become_enums(self) -> None:
        """Strings for the enum fields are accepted and stored as enum members."""
        op = fresh("imweb", payment_channel="npay")

        assert (cf.Marketplace.IMWEB, S.PAID, cf.PaymentChannel.NPAY) == (
            op.marketplace,
            op.status,
            op.payment_channel,
        )


class TestFeePayer:
    def test_unknown_fee_payer_is_a_refusal(self) -> None:
        """An unknown fee payer for cancel.by_seller is refused with INVALID_PARAMETER on
        fee_payer, not a KeyError."""
        d = cf.check(fresh(), "cancel.by_seller", "SELLER", fee_payer="NOBODY", reason="품절")

        assert (False, "INVALID_PARAMETER", "fee_payer") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
        )

    def test_apply_with_unknown_fee_payer_raises_refused(self) -> None:
        """apply turns that refusal into ActionRefusedError, never a KeyError."""
        with pytest.raises(cf.ActionRefusedError) as e:
            cf.apply(fresh(), "cancel.by_seller", "SELLER", fee_payer="NOBODY", reason="품절")

        assert "fee_payer" == e.value.decision.reasons[0].field

    @pytest.mark.parametrize("payer", ["USER", "MERCHANT", cf.FeePayer.USER])
    def test_known_fee_payers(self, payer: object) -> None:
        """USER and MERCHANT, as strings or enum members, are accepted and stored as FeePayer."""
        d = cf.check(fresh(), "cancel.by_seller", "SELLER", fee_payer=payer, reason="품절")

        assert (True, cf.FeePayer(payer)) == (d.allowed, dict(d.params)["fee_payer"])


class TestInconsistentState:
    @pytest.mark.parametrize(
        ("mp", "status", "claim"),
        [
            pytest.param("imweb", "DELAYED", None, id="imweb-DELAYED"),
            pytest.param("x2bee", "DELAYED", None, id="x2bee-DELAYED"),
            pytest.param("toss", "RETURN_COLLECTING", None, id="toss-collecting-no-claim"),
            pytest.param(
                "toss",
                "PAID",
                cf.Claim("c", "RETURN", "REQUESTED", "PAID"),
                id="toss-return-at-PAID",
            ),
            pytest.param(
                "toss",
                "PREPARING",
                cf.Claim("c", "CANCEL", "REFUND_FAILED", "PREPARING"),
                id="toss-cancel-refund-failed",
            ),
        ],
    )
    @pytest.mark.parametrize("call", ["check", "allowed_actions", "refused_actions"])
    def test_raises(self, mp: str, status: str, claim: cf.Claim | None, call: str) -> None:
        """A state the marketplace's rules cannot produce raises InconsistentStateError."""
        op = fresh(mp, status, open_claim=claim)

        with pytest.raises(cf.InconsistentStateError) as e:
            if call == "check":
                cf.check(op, "order.ship", "SELLER", **DELIVERY)
            else:
                getattr(cf, call)(op, "SELLER")

        assert "status" == e.value.field

    def test_apply_raises_too(self) -> None:
        """apply on an impossible state raises InconsistentStateError rather than deciding."""
        with pytest.raises(cf.InconsistentStateError):
            cf.apply(fresh("imweb", "DELAYED"), "order.ship", "SELLER", **DELIVERY)


class TestShippingDeadline:
    def preparing(self) -> cf.OrderProduct:
        """A Toss order product in 상품준비중."""
        return cf.apply(fresh(), "order.prepare", "SELLER").order_product

    @pytest.mark.parametrize("days", [1, 2, 14])
    def test_after_today_is_allowed(self, days: int) -> None:
        """A deadline after today (KST) delays the shipment and notifies the buyer."""
        deadline = kst_today() + dt.timedelta(days=days)

        d = cf.check(self.preparing(), "order.delay", "SELLER", shipping_deadline=deadline)

        assert (True, S.DELAYED, (cf.Effect(EK.NOTIFY_BUYER),)) == (
            d.allowed,
            d.to_status,
            d.effects,
        )

    @pytest.mark.parametrize(
        "deadline",
        [
            pytest.param(dt.timedelta(days=0), id="today"),
            pytest.param(dt.timedelta(days=-1), id="yesterday"),
        ],
    )
    def test_today_or_before_is_refused(self, deadline: dt.timedelta) -> None:
        """A deadline of today or earlier is refused with INVALID_PARAMETER on the field."""
        d = cf.check(
            self.preparing(), "order.delay", "SELLER", shipping_deadline=kst_today() + deadline
        )

        assert (False, "INVALID_PARAMETER", "shipping_deadline") == (
            d.allowed,
            d.reasons[0].code,
            d.reasons[0].field,
        )

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("2099-01-01", id="string"),
            pytest.param(dt.datetime(2099, 1, 1, tzinfo=SEOUL), id="datetime"),
        ],
    )
    def test_not_a_date_is_refused(self, value: object) -> None:
        """Only a date will do: a string or a datetime is refused with INVALID_PARAMETER."""
        d = cf.check(self.preparing(), "order.delay", "SELLER", shipping_deadline=value)

        assert ("INVALID_PARAMETER", "shipping_deadline") == (
            d.reasons[0].code,
            d.reasons[0].field,
        )


def sample_states() -> list[Any]:
    """Order products in a spread of states on every marketplace, for listing checks."""
    out = []
    for mp in ("toss", "imweb", "x2bee"):
        out += [
            pytest.param(fresh(mp), id=f"{mp}-PAID"),
            pytest.param(delivered(mp), id=f"{mp}-DELIVERED"),
            pytest.param(return_requested(mp), id=f"{mp}-return-requested"),
        ]
    out.append(pytest.param(fresh("toss", "CANCELED"), id="toss-CANCELED"))
    return out


class TestRefusedActions:
    @pytest.mark.parametrize("op", sample_states())
    @pytest.mark.parametrize("actor", ["BUYER", "SELLER", "SYSTEM"])
    def test_refused_and_allowed_cover_the_offer(self, op: cf.OrderProduct, actor: str) -> None:
        """refused_actions lists every offered action that allowed_actions does not."""
        offered = {r.action for r in cf.rules(op.marketplace)}

        allowed = set(cf.allowed_actions(op, actor))
        refused = set(cf.refused_actions(op, actor))

        assert set() == allowed & refused
        assert offered == allowed | refused

    @pytest.mark.parametrize("op", sample_states())
    @pytest.mark.parametrize("actor", ["BUYER", "SELLER", "SYSTEM"])
    def test_every_refusal_explains_itself(self, op: cf.OrderProduct, actor: str) -> None:
        """Each refused action has at least one reason, with a Korean and an English message; the
        English one names statuses by their codes, never in Korean."""
        refused = cf.refused_actions(op, actor)

        assert [] == [action for action, reasons in refused.items() if not reasons]
        bad = [
            (action, r.code)
            for action, reasons in refused.items()
            for r in reasons
            if not HANGUL.search(r.message_ko)
            or not r.message_en.strip()
            or HANGUL.search(r.message_en)
            or not r.code
        ]
        assert [] == bad

    def test_actions_not_offered_are_not_listed(self) -> None:
        """An action the marketplace lacks is neither allowed nor refused (it does not exist)."""
        refused = cf.refused_actions(fresh("imweb"), "SELLER")

        assert A.CANCEL_BY_SELLER not in refused
        assert A.ORDER_DELAY not in refused


class TestExplain:
    @pytest.mark.parametrize(
        "case",
        [
            pytest.param(
                (fresh(), "cancel.request", "BUYER", {"reason": "변심"}, "T1"), id="allowed"
            ),
            pytest.param((fresh(), "order.prepare", "BUYER", {}, "F1"), id="wrong-actor"),
            pytest.param(
                (delivered(), "cancel.request", "BUYER", {"reason": "변심"}, "T1"),
                id="wrong-status",
            ),
            pytest.param(
                (return_requested(), "return.reject", "SELLER", {}, "T9"), id="missing-parameter"
            ),
        ],
    )
    @pytest.mark.parametrize("lang", ["ko", "en"])
    def test_mentions_rule(
        self, case: tuple[cf.OrderProduct, str, str, dict[str, Any], str], lang: str
    ) -> None:
        """explain in Korean and English names the rule behind the decision."""
        op, action, actor, params, rule_id = case

        text = cf.check(op, action, actor, **params).explain(lang)

        assert rule_id in text

    def test_verdict_in_each_language(self) -> None:
        """The Korean explanation says 불가 and the English one says refused."""
        d = cf.check(delivered(), "cancel.request", "BUYER", reason="변심")

        assert (True, True) == (": 불가: " in d.explain("ko"), ": refused: " in d.explain("en"))

    def test_wrong_status_suggests_the_alternative(self) -> None:
        """A buyer's cancel after delivery is refused, and the reason points to a return."""
        d = cf.check(delivered(), "cancel.request", "BUYER", reason="변심")

        assert "return.request" in d.reasons[0].message_en
        assert "return.request" in d.reasons[0].message_ko


class TestPublicSurface:
    def test_all_is_sorted(self) -> None:
        """claimflow.__all__ is sorted and has no duplicates."""
        assert sorted(set(cf.__all__)) == list(cf.__all__)

    def test_all_names_exist(self) -> None:
        """Every name in claimflow.__all__ is an attribute of the package."""
        assert [] == [name for name in cf.__all__ if not hasattr(cf, name)]

    def test_errors_share_one_root(self) -> None:
        """Every exported error derives from ClaimflowError."""
        errors = [getattr(cf, n) for n in cf.__all__ if n.endswith("Error")]

        assert [] == [e for e in errors if not issubclass(e, cf.ClaimflowError)]
