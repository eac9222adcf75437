"""Benchmark: the adapters against raw httpx on the same requests, for all three marketplaces.

Both sides make the same requests to the same emulator (uvicorn on 127.0.0.1, in a background
thread of this process, TCP_NODELAY set); the raw side decodes the JSON and keeps the dicts, the
adapter also checks every field and maps it onto claimflow's vocabulary through its codec. Rounds
alternate between the two; the best round of each is compared. Target: adapter ≥ 0.9 x raw.

- toss: a token, then ``GET /claims`` (type + status) page by page with ``nextToken``;
- imweb: a token, ``GET /orders`` pages, then ``GET /orders/{order_no}/prod-orders`` per order;
- x2bee: ``POST claimDetailsInfoFO`` per order product (x2bee has no list API).

    python benchmarks/bench_adapters.py                      # all three, default sizes
    python benchmarks/bench_adapters.py --marketplace toss --claims 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

import httpx

from claimflow._vocab import SEOUL
from claimflow.adapters import ClaimQuery, OrderQuery, OrderRef, RemoteClaim, imweb, toss, x2bee
from claimflow.emulators import serve_in_thread
from claimflow.emulators.imweb import ImwebEmulator
from claimflow.emulators.toss import TossEmulator
from claimflow.emulators.x2bee import DEFAULT_TOKEN, X2beeEmulator

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
PATH = "/api/v3/shopping-fep/claims"


def seed(emulator: TossEmulator, count: int, since: dt.date) -> None:
    """*count* delivered order products, each with a return request within one 7-day window."""
    start = dt.datetime.combine(since, dt.time(9), SEOUL)
    for i in range(count):
        record = emulator.add("DELIVERED", ordered_at=start - dt.timedelta(days=2))
        at = start + dt.timedelta(seconds=i * 50)  # 10k claims over ~6 days
        emulator.buyer(record.op.id, "return.request", reason="변심", at=at)


def run_adapter(url: str, query: ClaimQuery) -> int:
    """Every claim through the adapter, mapped; returns how many."""
    with toss.make_client(
        CLIENT_ID, CLIENT_SECRET, base_url=url, token_url=url + "/token"
    ) as adapter:
        claims = list(adapter.iter_claims(query))
    assert all(isinstance(c, RemoteClaim) for c in claims)
    return len(claims)


def run_raw(url: str, query: ClaimQuery) -> int:
    """Every claim with raw httpx, the same requests; returns how many."""
    assert query.since is not None and query.until is not None
    items: list[Any] = []
    with httpx.Client(base_url=url, headers={"Accept": "application/json"}) as client:
        token = client.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scope": toss.SCOPE,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        params: dict[str, str] = {
            "type": "RETURN",
            "status": "REQUESTED",  # Toss filters by type and status only together
            "fromRequestDate": query.since.isoformat(),
            "toRequestDate": query.until.isoformat(),
            "size": str(query.page_size),
        }
        while True:
            body = client.get(PATH, params=params, headers=headers).json()
            success = body["success"]
            items += success["items"]
            if not success["hasNext"]:
                break
            params["nextToken"] = success["nextToken"]
    return len(items)


Runner = Any  # (url) -> count


def _compare(name: str, count: int, rounds: int, url: str, raw: Any, adapter: Any) -> float:  # noqa: PLR0917
    best = {"adapter": float("inf"), "raw": float("inf")}
    raw(url)  # warm up both sides (and the emulator's indexes)
    adapter(url)
    for _ in range(rounds):
        for side, run in (("raw", raw), ("adapter", adapter)):
            t = time.perf_counter()
            n = run(url)
            best[side] = min(best[side], time.perf_counter() - t)
            assert n == count, (name, side, n)
    r, a = count / best["raw"], count / best["adapter"]
    print(f"{name:6} raw httpx : {best['raw']:.3f} s  {r:9,.0f} /s")
    print(f"{name:6} adapter   : {best['adapter']:.3f} s  {a:9,.0f} /s (checked and mapped)")
    print(f"{name:6} ratio     : {a / r:.2f}x raw throughput (target >= 0.90)")
    return a / r


def bench_toss(count: int, rounds: int, page_size: int) -> float:
    """10k claims by default: listed and mapped."""
    since = dt.date(2024, 6, 3)
    emulator = TossEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    seed(emulator, count, since)
    query = ClaimQuery(
        claim_type="RETURN",
        claim_status="REQUESTED",
        since=since,
        until=since + dt.timedelta(days=6),
        page_size=page_size,
    )
    with serve_in_thread(emulator.app) as server:
        return _compare(
            "toss",
            count,
            rounds,
            server.url,
            lambda url: run_raw(url, query),
            lambda url: run_adapter(url, query),
        )


def bench_imweb(orders: int, rounds: int) -> float:
    """*orders* orders of two item orders: the order list, then each order's item orders."""
    emulator = ImwebEmulator(key="bench-key", secret="bench-secret")
    day = dt.datetime(2024, 6, 3, 9, tzinfo=SEOUL)
    for i in range(orders):
        emulator.add_order("SHIPPING", "DELIVERED", ordered_at=day + dt.timedelta(seconds=i))

    def raw(url: str) -> int:
        rows: list[Any] = []
        with httpx.Client(base_url=url + "/v2/shop") as client:
            auth = {"key": "bench-key", "secret": "bench-secret"}
            token = client.post(url + "/v2/auth", json=auth).json()["access_token"]
            headers = {"access-token": token}
            page = 1
            while True:
                params = {"offset": str(page), "limit": "100"}
                data = client.get("/orders", params=params, headers=headers).json()["data"]
                for order in data["list"]:
                    path = f"/orders/{order['order_no']}/prod-orders"
                    rows += client.get(path, headers=headers).json()["data"]
                paging = data.get("pagenation") or data["pagination"]
                if int(paging["current_page"]) >= int(paging["total_page"]):
                    break
                page += 1
        return len(rows)

    def adapter(url: str) -> int:
        with imweb.make_client(
            "bench-key", "bench-secret", base_url=url + "/v2/shop", auth_url=url + "/v2/auth"
        ) as client:
            return len(list(client.iter_order_products(OrderQuery())))

    with serve_in_thread(emulator.app) as server:
        return _compare("imweb", 2 * orders, rounds, server.url, raw, adapter)


def bench_x2bee(count: int, rounds: int) -> float:
    """*count* order products read back one by one (claimDetailsInfoFO)."""
    emulator = X2beeEmulator()
    refs = []
    for _ in range(count):
        record = emulator.add("DELIVERED")
        refs.append(OrderRef(record.op.id, record.order_id))
    path = "/api/order/v1/claim/common/claimDetailsInfoFO"

    def raw(url: str) -> int:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        with httpx.Client(base_url=url, headers=headers) as client:
            rows = [
                client.post(path, json={"ordNo": r.order_id, "ordSeq": r.order_product_id}).json()
                for r in refs
            ]
        return len(rows)

    def adapter(url: str) -> int:
        urls = {"order_url": url + "/api/order", "bo_url": url + "/api/bo"}
        with x2bee.make_client(DEFAULT_TOKEN, goods_url=url + "/api/goods", **urls) as client:
            return len([client.read(r) for r in refs])

    with serve_in_thread(emulator.app) as server:
        return _compare("x2bee", count, rounds, server.url, raw, adapter)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the throughputs and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marketplace", choices=["toss", "imweb", "x2bee", "all"], default="all")
    parser.add_argument("--claims", type=int, default=10_000, help="toss claims")
    parser.add_argument("--orders", type=int, default=500, help="imweb orders (2 items each)")
    parser.add_argument("--reads", type=int, default=1_000, help="x2bee order products read")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)
    ratios = []
    if args.marketplace in {"toss", "all"}:
        ratios.append(bench_toss(args.claims, args.rounds, args.page_size))
    if args.marketplace in {"imweb", "all"}:
        ratios.append(bench_imweb(args.orders, args.rounds))
    if args.marketplace in {"x2bee", "all"}:
        ratios.append(bench_x2bee(args.reads, args.rounds))
    return 0 if min(ratios) >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
