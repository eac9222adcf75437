"""The emulators' store as their users see it: what a seeded order product looks like."""

from __future__ import annotations

import pytest

import claimflow as cf
from claimflow.emulators import MODULES

#: every status an order product can be seeded in (the fulfilment walk's starting points);
#: 발송지연 only where the marketplace offers order.delay (Toss)
SEEDABLE = [
    (mp, status)
    for mp in cf.Marketplace
    for status in (cf.Status.PAID, cf.Status.PREPARING, cf.Status.SHIPPING, cf.Status.DELIVERED)
] + [(cf.Marketplace.TOSS, cf.Status.DELAYED)]


class TestSeeding:
    @pytest.mark.parametrize(("marketplace", "status"), SEEDABLE)
    def test_a_seeded_order_product_is_at_version_0(
        self, marketplace: cf.Marketplace, status: cf.Status
    ) -> None:
        """Seeded in any starting status (through its module's seed_order_product), an order
        product is at the version a local OrderProduct built at that status has: 0, though the
        rules walked it there from 결제완료."""
        module = MODULES[marketplace]
        emulator = module.make_emulator()
        local = cf.OrderProduct("L-1", marketplace, status, "SKU-1", 10_000)
        record, _ref = module.seed_order_product(emulator, local)
        assert (status, local.version) == (record.op.status, record.op.version)

    def test_the_walk_still_leaves_its_traces(self) -> None:
        """The walk to 배송완료 still sets what the rules set on the way (the delivery time, the
        registered delivery), and the first action after seeding is version 1."""
        module = MODULES[cf.Marketplace.TOSS]
        emulator = module.make_emulator()
        record = emulator.add(cf.Status.DELIVERED)
        applied = emulator.buyer(record.op.id, "return.request", reason="단순 변심")
        assert (True, True, 1) == (
            record.op.delivered_at is not None,
            record.delivery is not None,
            applied.order_product.version,
        )

    def test_seeded_as_a_fresh_local_copy(self) -> None:
        """Apart from what the walk sets, the seeded order product is the OrderProduct built at
        its status (version included)."""
        module = MODULES[cf.Marketplace.X2BEE]
        emulator = module.make_emulator()
        record = emulator.add(cf.Status.SHIPPING, id="OP-S", item_id="I-1", unit_price=9_000)
        fresh = cf.OrderProduct("OP-S", cf.Marketplace.X2BEE, cf.Status.SHIPPING, "I-1", 9_000)
        assert fresh == record.op
