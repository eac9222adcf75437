"""Copies of the example Toss OMS with one planted bug each; claimflow.testing must catch each.

Every class overrides one method of :class:`toss_oms.TossOMS` with the kind of mistake that slips
into hand-written claim code, and :data:`BUGGY` binds each to the oracle.
"""

from __future__ import annotations

from toss_oms import (
    DELAYED,
    DELIVERED,
    PREPARING,
    SHIPPING,
    Line,
    NotAllowedError,
    TossOMS,
    TossOMSBinding,
)


class BuyerCancelWhileShipping(TossOMS):
    """Lets the buyer request a cancel in 배송중 (the guide allows it only before shipping)."""

    def buyer_cancel(self, line: Line) -> list[str]:
        if line.status == SHIPPING and line.claim is None:
            self._open(line, "CANCEL")
            return []
        return super().buyer_cancel(line)


class RejectionAfterCollectionToDelivered(TossOMS):
    """반려 always goes back to 배송완료, whatever status the return was requested in."""

    def reject_collected(self, line: Line, ctype: str) -> list[str]:
        self._need(self._claim_is(line, ctype, "COLLECTED"), "not collected")
        line.status = DELIVERED
        self._close(line, "COLLECTION_REJECTED")
        return []


class WithdrawAfterApproval(TossOMS):
    """Lets the buyer withdraw a return or exchange that is already being collected."""

    def withdraw(self, line: Line, ctype: str) -> list[str]:
        if self._claim_is(line, ctype, "APPROVED"):
            line.status = line.claim["origin"] if line.claim else line.status
            self._close(line, "WITHDRAWN")
            return []
        return super().withdraw(line, ctype)


class SellerCancelForgetsRefund(TossOMS):
    """Cancels directly without the refund."""

    def seller_cancel(self, line: Line) -> list[str]:
        super().seller_cancel(line)
        return []


class SecondClaimOverwritesFirst(TossOMS):
    """Opens a new return or exchange request while another claim is still open."""

    def request(self, line: Line, ctype: str) -> list[str]:
        if line.claim is not None and line.claim["status"] == "REQUESTED":
            line.claim = {"type": ctype, "status": "REQUESTED", "origin": line.claim["origin"]}
            return []
        return super().request(line, ctype)


class ShipDespiteCancelRequest(TossOMS):
    """Ships while the buyer's cancel request is still waiting for an answer."""

    def ship(self, line: Line, carrier: str, tracking: str) -> list[str]:
        if line.status not in (PREPARING, DELAYED, "PAID"):
            raise NotAllowedError("already shipped")
        line.claim = None
        line.status = SHIPPING
        return ["REGISTER_DELIVERY"]


def _binding(oms: type[TossOMS]) -> type[TossOMSBinding]:
    return type(f"{oms.__name__}Binding", (TossOMSBinding,), {"oms_class": oms})


BUGGY = {
    cls.__name__: _binding(cls)
    for cls in (
        BuyerCancelWhileShipping,
        RejectionAfterCollectionToDelivered,
        WithdrawAfterApproval,
        SellerCancelForgetsRefund,
        SecondClaimOverwritesFirst,
        ShipDespiteCancelRequest,
    )
}
