"""Copies of the example imweb OMS with one planted bug each; claimflow.testing must catch each.

Every class overrides one method of :class:`imweb_oms.ImwebOMS` with a mistake that only shows
in a deep state: a held claim, a refund that failed, a payment that cannot be refunded
automatically, a return turned into an exchange, a delivery during a pending request. :data:`BUGGY`
binds each to the oracle. :data:`NEEDS_NEW_ENGINE` names the bugs that live in rows
``spec/rules.md`` changed this turn (asynchronous cancel refunds, I3a/I4): the engine on this
branch does not reach those states yet, so they are caught once the engine's update is merged.
"""

from __future__ import annotations

from imweb_oms import (
    CANCELED,
    DELIVERED,
    RETURNED,
    Effects,
    ImwebOMS,
    ImwebOMSBinding,
    Item,
)


class ApproveWhileHeld(ImwebOMS):
    """Approves a return that is on hold (the Naver rule: release first, then approve)."""

    def _not_held(self, it: Item) -> None:
        if it.claim is not None and it.claim["type"] == "RETURN":
            return
        super()._not_held(it)

    def return_approve(self, it: Item) -> Effects:
        if it.claim is not None and it.claim["status"] == "HELD":
            it.claim["status"] = "REQUESTED"
        return super().return_approve(it)


class ReleaseBackToRequested(ImwebOMS):
    """Releasing a hold always goes back to 요청, whatever status the hold stopped."""

    def release(self, it: Item, ctype: str) -> Effects:
        super().release(it, ctype)
        assert it.claim is not None
        it.claim["status"] = "REQUESTED"
        return []


class HoldAnyPayment(ImwebOMS):
    """Holds a return whatever the payment (imweb allows return holds for Naver Pay only)."""

    def hold(self, it: Item, ctype: str) -> Effects:
        channel, it.channel = it.channel, "npay"
        try:
            return super().hold(it, ctype)
        finally:
            it.channel = channel


class CompleteWithoutAutoRefund(ImwebOMS):
    """Completes a return through the gateway although the payment cannot be refunded by it."""

    def return_complete(self, it: Item, extra_charge: int, points: int) -> Effects:
        auto, it.auto_refundable = it.auto_refundable, True
        try:
            return super().return_complete(it, extra_charge, points)
        finally:
            it.auto_refundable = auto


class ForceCompleteRefundable(ImwebOMS):
    """Force-completes (manual refund) a collected return that the gateway could refund."""

    def return_force_complete(self, it: Item) -> Effects:
        if self._is(it, "RETURN", "COLLECTED"):
            self._close(it, "COMPLETED")
            it.status = RETURNED
            return []
        return super().return_force_complete(it)


class RefundFailureCompletes(ImwebOMS):
    """Takes the gateway's refund failure for a return as done: 반품완료 without the money."""

    def return_refund_result(self, it: Item, succeeded: bool) -> Effects:
        return super().return_refund_result(it, True)


class ExchangeFromReturnForgetsOrigin(ImwebOMS):
    """A return turned into an exchange starts from 배송완료; rejecting it goes back there."""

    def return_to_exchange(self, it: Item) -> Effects:
        super().return_to_exchange(it)
        assert it.claim is not None
        it.claim["origin"] = DELIVERED
        return []


class DeliveryKeepsRequestOrigin(ImwebOMS):
    """A delivery during a pending request leaves the request's origin at 배송중."""

    def deliver(self, it: Item) -> Effects:
        origin = it.claim["origin"] if it.claim else None
        super().deliver(it)
        if it.claim is not None:
            it.claim["origin"] = origin
        return []


class RefundOneUnit(ImwebOMS):
    """Refunds one unit's price for a returned line of several units."""

    def _refund(self, it: Item, extra_charge: int, points: int) -> Effects:
        effects = super()._refund(it, extra_charge, points)
        if it.claim is not None and it.claim["type"] == "RETURN":
            effects[0]["amount"] = max(it.unit_price - extra_charge, 0)
        return effects


class RetryRefundClosesAtOnce(ImwebOMS):
    """Retrying a failed cancel refund marks the order cancelled before the gateway answers."""

    def cancel_retry(self, it: Item) -> Effects:
        effects = super().cancel_retry(it)
        if it.claim is not None:
            self._close(it, "COMPLETED")
            it.status = CANCELED
        return effects


BUGGY: dict[str, type[ImwebOMSBinding]] = {
    cls.__name__: type(f"{cls.__name__}Binding", (ImwebOMSBinding,), {"oms_class": cls})
    for cls in (
        ApproveWhileHeld,
        ReleaseBackToRequested,
        HoldAnyPayment,
        CompleteWithoutAutoRefund,
        ForceCompleteRefundable,
        RefundFailureCompletes,
        ExchangeFromReturnForgetsOrigin,
        DeliveryKeepsRequestOrigin,
        RefundOneUnit,
        RetryRefundClosesAtOnce,
    )
}

#: planted in rows the engine follows only after its update (I3a/I4): not reachable before
NEEDS_NEW_ENGINE = frozenset({"RetryRefundClosesAtOnce"})
