"""claimflow.adapters.explain with a memo: the same chains as the search, found faster.

A sync pass shares one memo between its order products (claimflow.store.sync); these tests
check that replaying a remembered chain never changes the answer.
"""

from __future__ import annotations

import random

import pytest

import claimflow as cf
from claimflow._engine import example_params
from claimflow._vocab import Actor
from claimflow.adapters import Client, OrderRef, RetryPolicy, explain
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.imweb import seed_orders as seed_imweb
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.toss import seed_orders as seed_toss
from claimflow.store import make_adapter
from claimflow.testing import SyncASGITransport

FAST = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0005, wait_max=0.002, wait_jitter=0)
ACTORS = (Actor.BUYER, Actor.SYSTEM, Actor.SELLER)


def in_process(emulator: TossEmulator | ImwebEmulator) -> Client:
    """An adapter talking to *emulator* in-process (ASGI)."""
    return make_adapter(
        emulator.store.marketplace,
        "http://127.0.0.1",
        emulator=True,
        retry=FAST,
        transport=SyncASGITransport(emulator.app),
    )


def walk(emulator: TossEmulator | ImwebEmulator, rng: random.Random, steps: int) -> None:
    """Up to *steps* random actions (the rules' example parameters) on every order product."""
    for record in emulator.store.records():
        for _ in range(rng.randrange(steps + 1)):
            op = emulator.store.get(record.op.id).op
            choices = [(a, who) for who in Actor for a in cf.allowed_actions(op, who)]
            if not choices:
                break
            action, who = rng.choice(sorted(choices))
            try:
                emulator.store.act(op.id, action, who, **example_params(op, action))
            except cf.ClaimflowError:
                continue


@pytest.mark.parametrize(
    ("make", "seed"),
    [(TossEmulator, seed_toss), (ImwebEmulator, seed_imweb)],
    ids=["toss", "imweb"],
)
class TestExplainMemo:
    def test_memo_gives_the_searchs_answer(self, make: type, seed: object) -> None:
        """For order products walked 0-3 random actions away from the local state, explain with
        one shared memo (which remembers chains to replay) answers exactly as the search does
        without it."""
        emulator = make()
        seed(emulator, 150)  # type: ignore[operator]
        before = {r.op.id: r.op for r in emulator.store.records()}
        walk(emulator, random.Random(7), 3)
        memo: dict[object, object] = {}
        differing, compared = [], 0
        with in_process(emulator) as adapter:
            for record in emulator.store.records():
                ref = OrderRef(record.op.id, record.order_id, record.ordered_at.date())
                remote = adapter.read(ref)
                at = record.ordered_at
                local = before[record.op.id]
                try:
                    searched = explain(adapter.spec, local, remote, actors=ACTORS, at=at)
                except cf.ClaimflowError as e:
                    searched = type(e)  # type: ignore[assignment]
                try:
                    remembered = explain(
                        adapter.spec, local, remote, actors=ACTORS, at=at, memo=memo
                    )
                except cf.ClaimflowError as e:
                    remembered = type(e)  # type: ignore[assignment]
                compared += 1
                if searched != remembered:
                    differing.append(record.op.id)
        assert (len(before), []) == (compared, differing)
        assert len(memo) > 0
