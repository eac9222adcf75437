"""Benchmark: list and map 10k claims from the Toss emulator, adapter vs raw httpx.

Both sides make the same requests to the same emulator (uvicorn on 127.0.0.1, in a background
thread of this process): a token, then ``GET /claims`` page by page with ``nextToken``. The raw
side decodes the JSON and keeps the item dicts; the adapter also checks every field and maps each
item onto claimflow's vocabulary (:class:`claimflow.adapters.RemoteClaim`). Rounds alternate
between the two; the best round of each is compared. Target: adapter ≥ 0.8 x raw throughput.

    python benchmarks/bench_adapters.py            # 10,000 claims, 5 rounds
    python benchmarks/bench_adapters.py --claims 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

import httpx

from claimflow._params import KST
from claimflow.adapters import ClaimQuery, RemoteClaim, toss
from claimflow.emulators import serve_in_thread
from claimflow.emulators.toss import TossEmulator

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
PATH = "/api/v3/shopping-fep/claims"


def seed(emulator: TossEmulator, count: int, since: dt.date) -> None:
    """*count* delivered order products, each with a return request within one 7-day window."""
    start = dt.datetime.combine(since, dt.time(9), KST)
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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the throughputs and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)

    since = dt.date(2024, 6, 3)
    emulator = TossEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    t0 = time.perf_counter()
    seed(emulator, args.claims, since)
    print(f"seeded {args.claims} claims in {time.perf_counter() - t0:.1f} s")
    query = ClaimQuery(
        claim_type="RETURN",
        since=since,
        until=since + dt.timedelta(days=6),
        page_size=args.page_size,
    )
    best = {"adapter": float("inf"), "raw": float("inf")}
    with serve_in_thread(emulator.app) as server:
        run_raw(server.url, query)  # warm up both sides (and the emulator's claim index)
        run_adapter(server.url, query)
        for _ in range(args.rounds):
            for name, run in (("raw", run_raw), ("adapter", run_adapter)):
                t = time.perf_counter()
                n = run(server.url, query)
                best[name] = min(best[name], time.perf_counter() - t)
                assert n == args.claims, (name, n)
    pages = -(-args.claims // args.page_size)
    raw, adapter = args.claims / best["raw"], args.claims / best["adapter"]
    print(f"{args.claims} claims, {pages} pages of {args.page_size}, best of {args.rounds}")
    print(f"raw httpx : {best['raw']:.3f} s  {raw:9,.0f} claims/s")
    print(f"adapter   : {best['adapter']:.3f} s  {adapter:9,.0f} claims/s (listed and mapped)")
    ratio = adapter / raw
    print(f"ratio     : {ratio:.2f}x raw throughput (target >= 0.80)")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
