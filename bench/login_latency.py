"""End-to-end latency of sign-in (POST /api/auth/login) and of an API-key request (GET /api/auth/me) (prints figures).

Measures through the gateway of a real `simpletuner server`, sequentially and then with concurrent clients (threads),
only successful sign-ins (failures are rate-limited), no session cookie sent back: the cost of signing in, and of
authenticating every request.
Run: python bench/login_latency.py [--requests 200] [--warmup 10] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, running_stack

Call = Callable[[httpx.Client], None]


def login_call(admin: Account) -> Call:
    body = {"username": admin.username, "password": admin.password, "remember_me": False}

    def call(client: httpx.Client) -> None:
        client.post("/api/auth/login", json=body).raise_for_status()
        client.cookies.clear()  # every sign-in starts without a session

    return call


def me_call(admin: Account) -> Call:
    def call(client: httpx.Client) -> None:
        client.get("/api/auth/me", headers=admin.headers).raise_for_status()

    return call


def run_pass(stack: RunningStack, call: Call, total: int, concurrency: int) -> tuple[list[float], float]:
    """(latency of each request in ms, wall seconds) for `total` requests split over `concurrency` clients."""
    shares = [total // concurrency + (1 if index < total % concurrency else 0) for index in range(concurrency)]

    def worker(count: int) -> list[float]:
        latencies: list[float] = []
        with stack.http() as client:
            for _ in range(count):
                started = time.perf_counter()
                call(client)
                latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(worker, shares))
    wall = time.perf_counter() - started
    return [latency for latencies in results for latency in latencies], wall


def summary(label: str, latencies: list[float], wall: float) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (
        f"{label}: p50 {cuts[49]:.1f} ms, p90 {cuts[89]:.1f} ms, p99 {cuts[98]:.1f} ms, "
        f"max {max(latencies):.1f} ms, mean {statistics.fmean(latencies):.1f} ms, "
        f"{len(latencies) / wall:.0f} req/s ({len(latencies)} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per pass")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests before each endpoint's passes")
    parser.add_argument("--concurrency", type=int, default=4, help="clients (threads) in the concurrent pass")
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="st-bench-") as workspace, running_stack(Path(workspace)) as stack:
        admin = create_first_admin(stack)
        endpoints = [("POST /api/auth/login", login_call(admin)), ("GET /api/auth/me (API key)", me_call(admin))]
        for name, call in endpoints:
            run_pass(stack, call, args.warmup, 1)
            for concurrency in (1, args.concurrency):
                latencies, wall = run_pass(stack, call, args.requests, concurrency)
                mode = "sequential" if concurrency == 1 else f"{concurrency} concurrent clients"
                print(summary(f"{name}, {mode}", latencies, wall), flush=True)


if __name__ == "__main__":
    main()
