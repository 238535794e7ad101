"""Training events from the training process to SSE clients: latency, and clients one gateway serves (prints figures).

A real stack trains the tiny-demo example; SSE clients of /api/training/events/stream?job_id= take each
`training.progress` frame and compare its arrival with the event's own time (stamped in the training process,
same clock). Rounds with more clients follow; a round "serves" its clients when every one of them received
every progress event with p99 latency under --max-p99-ms.
Run: python bench/event_latency.py [--steps 300] [--clients 1,50,100,200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, running_stack


async def client(stack: RunningStack, admin: Account, job_id: str, steps: int, latencies: list[float]) -> int:
    """Follow one job's stream until its last progress event; returns how many progress events arrived."""
    received = 0
    timeout = httpx.Timeout(30, read=300)
    async with (
        httpx.AsyncClient(base_url=stack.url, headers=admin.headers, timeout=timeout) as http,
        http.stream("GET", "/api/training/events/stream", params={"job_id": job_id}) as reply,
    ):
        async for line in reply.aiter_lines():
            if not line.startswith("data:"):
                continue
            arrived = time.time()
            payload = json.loads(line[5:])
            if payload["type"] != "training.progress":
                continue
            received += 1
            latencies.append((arrived - datetime.fromisoformat(payload["timestamp"]).timestamp()) * 1000)
            if payload["step"] >= steps:
                return received
    return received


async def round_of(stack: RunningStack, admin: Account, clients: int, steps: int) -> tuple[list[float], list[int]]:
    async with httpx.AsyncClient(base_url=stack.url, headers=admin.headers, timeout=60) as http:
        fields = {"--max_train_steps": (None, str(steps)), "--checkpointing_steps": (None, "100000")}
        fields |= {"--validation_steps": (None, "100000"), "--resume_from_checkpoint": (None, "")}
        reply = await http.post("/api/training/start", files=fields)
        reply.raise_for_status()
        job_id = reply.json()["job_id"]
        latencies: list[float] = []
        counts = await asyncio.gather(*(client(stack, admin, job_id, steps, latencies) for _ in range(clients)))
        while (await http.get("/api/training/status", params={"job_id": job_id})).json()["status"] in (
            "starting",
            "running",
        ):
            await asyncio.sleep(0.5)
    return latencies, list(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--clients", default="1,50,100,200")
    parser.add_argument("--max-p99-ms", type=float, default=1000.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="st-bench-") as workspace, running_stack(Path(workspace)) as stack:
        admin = create_first_admin(stack)
        with stack.http(headers=admin.headers) as http:
            http.post("/api/configs/environments", json={"name": "bench", "example": "tiny-demo"}).raise_for_status()
            http.post("/api/configs/bench/activate").raise_for_status()
        served = 0
        for clients in (int(n) for n in args.clients.split(",")):
            latencies, counts = asyncio.run(round_of(stack, admin, clients, args.steps))
            cuts = statistics.quantiles(latencies, n=100)
            complete = all(count == args.steps for count in counts)
            print(
                f"{clients:4d} SSE clients: progress event latency p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms; "
                f"every client got every step: {complete}"
            )
            if complete and cuts[98] <= args.max_p99_ms:
                served = clients
    print(f"one gateway served {served} concurrent SSE clients with p99 <= {args.max_p99_ms:.0f} ms")


if __name__ == "__main__":
    main()
