"""The emulators' store as their users see it: what a seeded order product looks like, and the
list queries' indexes answering as a scan of the store does."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import httpx
import pytest

import claimflow as cf
from claimflow.adapters.codecs import imweb as imweb_codec
from claimflow.adapters.codecs import toss as toss_codec
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


# --- the list queries' indexes answer as a scan of the store does --------------------------------

SEOUL = dt.timezone(dt.timedelta(hours=9))
DAY = dt.date(2024, 5, 10)


def _get(emulator: Any, path: str, query: list[tuple[str, str]], token: dict[str, str]) -> Any:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(emulator.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            return await client.get(path, params=query, headers=token)

    response = asyncio.run(run())
    assert 200 == response.status_code, response.text
    return response.json()


def _token(emulator: Any, marketplace: cf.Marketplace) -> dict[str, str]:
    token, _ttl = emulator.core.issue_token()
    header = "access-token" if marketplace is cf.Marketplace.IMWEB else "Authorization"
    return {header: token if marketplace is cf.Marketplace.IMWEB else f"Bearer {token}"}


def _chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def _toss_store(mixed_offsets: bool) -> Any:
    """A Toss emulator with claims requested over ten days (at UTC offsets of their own when
    *mixed_offsets*: request days that do not follow the request times' order)."""
    emulator = MODULES[cf.Marketplace.TOSS].make_emulator(seed=5)
    rng = random.Random(5)
    for i in range(90):
        status = rng.choice([cf.Status.PREPARING, cf.Status.SHIPPING, cf.Status.DELIVERED])
        ordered = dt.datetime(2024, 5, 1, tzinfo=SEOUL) + dt.timedelta(hours=rng.randrange(240))
        record = emulator.add(status, order_id=f"O{i // 3}", ordered_at=ordered)
        request = {"PREPARING": "cancel", "SHIPPING": "return", "DELIVERED": "exchange"}
        if rng.random() < 0.8:
            zone = dt.UTC if mixed_offsets and rng.random() < 0.5 else SEOUL
            at = dt.datetime(2024, 5, 1, 12, tzinfo=SEOUL) + dt.timedelta(hours=rng.randrange(240))
            action = f"{request[status.name]}.request"
            emulator.buyer(record.op.id, action, reason="변심", at=at.astimezone(zone))
            if status is not cf.Status.PREPARING and rng.random() < 0.3:  # a closed claim
                emulator.buyer(record.op.id, f"{request[status.name]}.withdraw")
    return emulator


def _toss_claims_scanned(emulator: Any, query: dict[str, Any]) -> list[str]:
    """The claims list as a scan of every record filters it (the list before its index)."""
    rows = []
    for record in emulator.store.records():
        op = record.op
        for claim in (*op.closed_claims, *((op.open_claim,) if op.open_claim else ())):
            at = record.claim_times.get(claim.id)
            code = toss_codec.claim_status_code(claim.type, claim.status)
            if at is None or (query["type"] and (claim.type.value, code) != query["type"]):
                continue
            if query["since"] and not query["since"] <= at.date() <= query["until"]:
                continue
            if query["orders"] and record.order_id not in query["orders"]:
                continue
            rows.append((at, claim.id))
    return [claim_id for _at, claim_id in sorted(rows)]


def _toss_claim_pages(emulator: Any, query: dict[str, Any], size: int) -> list[list[str]]:
    names, token = toss_codec.CLAIMS_QUERY, _token(emulator, cf.Marketplace.TOSS)
    params = [(names["size"], str(size))]
    if query["type"]:
        params += [
            (names["claim_type"], query["type"][0]),
            (names["claim_status"], query["type"][1]),
        ]
    if query["since"]:
        params += [(names["since"], str(query["since"])), (names["until"], str(query["until"]))]
    if query["orders"]:
        params.append((names["order_ids"], ",".join(sorted(query["orders"]))))
    pages, cursor = [], None
    while True:
        more = [(names["cursor"], cursor)] if cursor else []
        page = _get(emulator, f"{toss_codec.API_PREFIX}/claims", params + more, token)["success"]
        pages.append([str(item["id"]) for item in page["items"]])
        cursor = page["nextToken"]
        if cursor is None:
            return pages


def _toss_queries(emulator: Any) -> list[dict[str, Any]]:
    codes = sorted(
        {
            (c.type.value, toss_codec.claim_status_code(c.type, c.status))
            for r in emulator.store.records()
            for c in (*r.op.closed_claims, *((r.op.open_claim,) if r.op.open_claim else ()))
        }
    )
    windows = [(None, None), (DAY - dt.timedelta(days=6), DAY), (DAY, DAY)]
    windows += [
        (dt.date(2024, 5, 2), dt.date(2024, 5, 4)),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 2)),
    ]
    types = [None, *codes, ("CANCEL", "NO_SUCH_STATUS")]
    queries = [
        {"type": t, "since": since, "until": until, "orders": None}
        for t in types
        for since, until in windows
    ]
    by_orders = {"type": None, "since": None, "until": None, "orders": {"O1", "O7", "O29", "NONE"}}
    both = {"type": codes[0], "since": windows[1][0], "until": DAY, "orders": {"O3", "O4", "O5"}}
    return [*queries, by_orders, both]


class TestListIndexes:
    @pytest.mark.parametrize("mixed_offsets", [False, True])
    def test_toss_claims_pages_are_the_scans(self, mixed_offsets: bool) -> None:
        """Every claims query (each type and status, request-day windows, order ids) pages
        through exactly the claims a scan of the store finds, in its order, whether the request
        days follow the request times (bisection) or not (times at other UTC offsets: a scan)."""
        emulator = _toss_store(mixed_offsets)
        for query in _toss_queries(emulator):
            for size in (7, 100):
                expected = _chunks(_toss_claims_scanned(emulator, query), size)
                assert (query, expected) == (query, _toss_claim_pages(emulator, query, size))
        assert (not mixed_offsets) is emulator._indexed_claims().every.ordered

    def test_toss_orders_pages_are_the_scans(self) -> None:
        """Every orders window pages through the order products a scan finds (by order time
        and id, their order day in Seoul within the window)."""
        emulator = _toss_store(mixed_offsets=True)
        names, token = toss_codec.ORDERS_QUERY, _token(emulator, cf.Marketplace.TOSS)
        for since, until in [(dt.date(2024, 5, 1), DAY), (DAY, DAY), (dt.date(2024, 6, 1),) * 2]:
            records = sorted(emulator.store.records(), key=lambda r: (r.ordered_at, r.op.id))
            scanned = [
                r.op.id for r in records if since <= r.ordered_at.astimezone(SEOUL).date() <= until
            ]
            params = [(names["since"], str(since)), (names["until"], str(until))]
            pages, cursor = [], None
            while True:
                query = (
                    params
                    + [(names["size"], "9")]
                    + ([(names["cursor"], cursor)] if cursor else [])
                )
                page = _get(emulator, f"{toss_codec.API_PREFIX}/orders/v2", query, token)["success"]
                pages.append([row["orderProductId"] for row in page["results"]])
                cursor = page["nextCursor"]
                if cursor is None:
                    break
            assert _chunks(scanned, 9) == pages

    def test_a_write_between_pages_is_seen(self) -> None:
        """A claim requested after a first page was read is in the next answer, as a scan of
        the store then finds it (the index is built again after a write)."""
        emulator = _toss_store(mixed_offsets=False)
        query = {"type": None, "since": None, "until": None, "orders": None}
        before = _toss_claim_pages(emulator, query, 100)
        record = emulator.add(cf.Status.PREPARING, ordered_at=dt.datetime(2024, 5, 3, tzinfo=SEOUL))
        at = dt.datetime(2024, 5, 4, tzinfo=SEOUL)
        applied = emulator.buyer(record.op.id, "cancel.request", reason="변심", at=at)
        after = _toss_claim_pages(emulator, query, 100)
        claim = applied.order_product.open_claim
        assert claim is not None
        seen = [any(claim.id in page for page in pages) for pages in (before, after)]
        assert [False, True] == seen
        assert _chunks(_toss_claims_scanned(emulator, query), 100) == after

    def test_an_order_product_added_between_pages_is_listed(self) -> None:
        """An order product seeded at 결제완료 (no walk: no action applied) after an orders page
        was read is in the next answer: adding one is a change of the store too."""
        emulator = _toss_store(mixed_offsets=False)
        names, token = toss_codec.ORDERS_QUERY, _token(emulator, cf.Marketplace.TOSS)
        query = [(names["since"], "2024-05-01"), (names["until"], "2024-05-31")]
        path = f"{toss_codec.API_PREFIX}/orders/v2"
        before = _get(emulator, path, query, token)["success"]["results"]
        at = dt.datetime(2024, 5, 1, 0, 1, tzinfo=SEOUL)  # the first of the window
        record = emulator.add(cf.Status.PAID, id="NEW-1", ordered_at=at)
        after = _get(emulator, path, query, token)["success"]["results"]
        assert (False, record.op.id) == (
            any(row["orderProductId"] == "NEW-1" for row in before),
            after[0]["orderProductId"],
        )

    def test_imweb_order_lists_are_the_scans(self) -> None:
        """Every imweb order list (no filter, each status / claim type / claim status value an
        item shows, each order type, order-time windows) pages through the orders a scan finds:
        by order time and number, with the count of the whole list."""
        module = MODULES[cf.Marketplace.IMWEB]
        emulator = module.make_emulator(seed=9)
        module.seed_orders(emulator, 40)
        names, token = imweb_codec.ORDERS_QUERY, _token(emulator, cf.Marketplace.IMWEB)
        orders = sorted(emulator.orders(), key=lambda o: (o.ordered_at, o.order_no))
        shown = sorted(
            {
                (name, value)
                for o in orders
                for i in o.items
                for name in imweb_codec.ORDERS_FILTERS
                if (value := getattr(emulator.wire(i), name)) is not None
            }
        )
        stamps = sorted(int(o.ordered_at.timestamp()) for o in orders)
        windows = [(None, None), (stamps[5], stamps[-5]), (stamps[3], stamps[3])]
        for channel in (None, "normal", "npay", "other"):
            for kept in (None, *shown, ("status", "NO_SUCH")):
                for since, until in windows:
                    scanned = [
                        o.order_no
                        for o in orders
                        if (channel is None or o.order_type.value == channel)
                        and (since is None or since <= o.ordered_at.timestamp() <= until)
                        and (
                            kept is None
                            or any(getattr(emulator.wire(i), kept[0]) == kept[1] for i in o.items)
                        )
                    ]
                    params = [(names["size"], "4")]
                    params += [(names["channel"], channel)] if channel else []
                    params += [(names[kept[0]], kept[1])] if kept else []
                    if since is not None:
                        params += [(names["since"], str(since)), (names["until"], str(until))]
                    pages, counts = [], set()
                    numbers = range(1, len(scanned) // 4 + 2)  # one page past the last full one
                    for n in numbers:
                        query = [*params, (names["page"], str(n))]
                        data = _get(emulator, "/v2/shop/orders", query, token)["data"]
                        pages.append([row["order_no"] for row in data["list"]])
                        counts.add(data["pagenation"]["data_count"])
                    expected = [scanned[(n - 1) * 4 : n * 4] for n in numbers]
                    assert (channel, kept, expected, {len(scanned)}) == (
                        channel,
                        kept,
                        pages,
                        counts,
                    )
