"""Store.apply_remote: the three protocol steps around an adapter call, on both engines."""

from __future__ import annotations

from typing import Any

import pytest

import claimflow as cf
from claimflow.adapters import ActionResult, ItemResult, RemoteAction, toss
from claimflow.exceptions import MarketplaceRefusedError, OutcomeUnknownError
from claimflow.store import EffectStatus, IntentStatus, Store

REASON = {"reason": "단순 변심"}


class FakeToss:
    """An adapter with Toss's spec whose answer the test chooses: ok, refused or no answer."""

    spec = toss.SPEC

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[RemoteAction] = []

    def perform(self, remote: RemoteAction) -> ActionResult:
        """Record the call and answer as told."""
        self.calls.append(remote)
        if self.answer == "refused":
            raise MarketplaceRefusedError(
                "toss refused", marketplace="toss", code="E400", message="no"
            )
        if self.answer == "unknown":
            raise OutcomeUnknownError("toss timed out", marketplace="toss")
        return ActionResult(remote, (ItemResult(remote.order_product_id, True),))

    def read(self, ref: Any) -> Any:
        """Not used by apply_remote."""
        raise NotImplementedError


def collected(store: Store) -> None:
    """OP-1, return collected (version 3): return.complete refunds."""
    store.put(cf.OrderProduct("OP-1", "toss", cf.Status.DELIVERED, "ITEM-A", 12_000))
    store.apply_local("OP-1", "return.request", "BUYER", **REASON)
    store.apply_local("OP-1", "return.approve", "SELLER")
    store.apply_local("OP-1", "return.collect", "SELLER")


class TestApplyRemote:
    def test_accepted(self, store: Store) -> None:
        """Accepted: committed at version 4 with its REFUND queued; the intent APPLIED."""
        collected(store)
        adapter = FakeToss("ok")
        done = store.apply_remote(adapter, "OP-1", "return.complete", "SELLER")
        assert (4, cf.Status.RETURNED) == (done.event.version, store.get("OP-1").status)
        assert [cf.Action.RETURN_COMPLETE] == [c.action for c in adapter.calls]
        (intent,) = store.intents("OP-1")
        assert IntentStatus.APPLIED == intent.status
        assert [("OP-1:4:REFUND", EffectStatus.PENDING)] == [
            (e.key, e.status) for e in store.effects("OP-1")
        ]

    def test_refused(self, store: Store) -> None:
        """Refused by the marketplace: error re-raised, state as it was, intent NOT_APPLIED."""
        collected(store)
        with pytest.raises(MarketplaceRefusedError):
            store.apply_remote(FakeToss("refused"), "OP-1", "return.complete", "SELLER")
        assert (3, []) == (store.get("OP-1").version, store.effects("OP-1"))
        assert [IntentStatus.NOT_APPLIED] == [i.status for i in store.intents("OP-1")]

    def test_unknown_is_left_to_reconcile(self, store: Store) -> None:
        """No answer: error re-raised, intent SENT and claimable by the reconcile worker."""
        collected(store)
        with pytest.raises(OutcomeUnknownError):
            store.apply_remote(FakeToss("unknown"), "OP-1", "return.complete", "SELLER")
        assert 3 == store.get("OP-1").version
        (pending,) = store.pending_intents()
        assert (IntentStatus.SENT, cf.Action.RETURN_COMPLETE) == (pending.status, pending.action)
