"""Cold start of `simpletuner server` to all-healthy, and the idle memory of the whole stack (prints figures).

Targets (issue #2): cold start <= 5 s excluding pip; RSS of the idle stack <= 600 MB.
Run: python bench/stack_startup.py [--runs 5] [--settle 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from simpletuner.libs.net import free_port
from simpletuner.libs.testing.stack import isolated_env, server_command


def one_run(settle_seconds: float) -> tuple[float, float, dict[str, float]]:
    """(seconds to healthy, total idle RSS in MB, RSS per process) for one cold start in a new workspace."""
    with tempfile.TemporaryDirectory(prefix="st-bench-") as workspace:
        port = free_port()
        started = time.perf_counter()
        launcher = subprocess.Popen(
            server_command("--host", "127.0.0.1", "--port", str(port)),
            env=isolated_env(Path(workspace)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            healthy_after = _wait_healthy(f"http://127.0.0.1:{port}/api/health", started)
            time.sleep(settle_seconds)
            per_process = _rss_by_process(launcher.pid)
        finally:
            launcher.terminate()
            launcher.wait(timeout=20)
    return healthy_after, sum(per_process.values()), per_process


def _wait_healthy(url: str, started: float, timeout: float = 120) -> float:
    with httpx.Client(timeout=1) as client:
        while time.perf_counter() - started < timeout:
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    raise RuntimeError("the stack did not become healthy")


def _rss_by_process(root_pid: int) -> dict[str, float]:
    root = psutil.Process(root_pid)
    usage: dict[str, float] = {}
    for process in [root, *root.children(recursive=True)]:
        cmdline = process.cmdline()
        name = cmdline[-1].rsplit(".", 1)[-1] if "-m" in cmdline else Path(cmdline[0]).name
        if process.pid == root_pid:
            name = "launcher"
        usage[name] = usage.get(name, 0.0) + process.memory_info().rss / 2**20
    return usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds idle before measuring memory")
    args = parser.parse_args()
    starts, totals = [], []
    last: dict[str, float] = {}
    for index in range(args.runs):
        seconds, total, last = one_run(args.settle)
        starts.append(seconds)
        totals.append(total)
        print(f"run {index + 1}: healthy after {seconds:.2f} s, idle RSS {total:.0f} MB", flush=True)
    spread = f"min {min(starts):.2f}, max {max(starts):.2f}"
    print(f"cold start to all-healthy: median {statistics.median(starts):.2f} s ({spread})")
    print(f"idle RSS of the whole stack: median {statistics.median(totals):.0f} MB")
    print("per process (last run): " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(last.items())))


if __name__ == "__main__":
    main()
