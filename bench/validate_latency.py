"""Round trip of POST /api/training/validate (the seeds' form fields over an active environment) (prints figures).

Through the gateway of a real stack: the form is merged over the caller's active environment (made from the
tiny-demo example, whose dataloader file is read and checked on every call) and checked with the options
catalogue's rules. Also reports how many options the catalogue has.
Run: python bench/validate_latency.py [--requests 200] [--warmup 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from simpletuner.libs import options
from simpletuner.libs.testing.stack import create_first_admin, running_stack

FORM = {"__active_tab__": "model", "--learning_rate": "1e-4", "--lora_rank": "16", "--max_train_steps": "1000"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    print(f"options in the catalogue: {len(options.CATALOGUE)}")
    with tempfile.TemporaryDirectory(prefix="st-bench-") as workspace, running_stack(Path(workspace)) as stack:
        admin = create_first_admin(stack)
        with stack.http(headers=admin.headers) as http:
            http.post("/api/configs/environments", json={"name": "bench", "example": "tiny-demo"}).raise_for_status()
            http.post("/api/configs/bench/activate").raise_for_status()
            form = {key: (None, value) for key, value in FORM.items()}
            latencies = []
            for index in range(args.warmup + args.requests):
                started = time.perf_counter()
                reply = http.post("/api/training/validate", files=form)
                elapsed = (time.perf_counter() - started) * 1000
                reply.raise_for_status()
                assert reply.json()["valid"], reply.json()
                if index >= args.warmup:
                    latencies.append(elapsed)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"POST /api/training/validate: p50 {cuts[49]:.1f} ms, p90 {cuts[89]:.1f} ms, p99 {cuts[98]:.1f} ms")


if __name__ == "__main__":
    main()
