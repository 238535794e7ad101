"""This machine's GPU inventory: declared by a setting (tests, demos, pinned fleets), else nvidia-smi, else none.

Read without importing torch, so the services that need it stay light; CUDA_VISIBLE_DEVICES numbering.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

NVIDIA_SMI_QUERY = ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"]
_DECLARED_ITEM = re.compile(r"^(?:(?P<count>\d+)x)?(?P<name>[^:]+?)(?::(?P<memory>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_gb: float


@dataclass(frozen=True)
class Inventory:
    gpus: tuple[Gpu, ...]
    backend: str  # "declared", "nvidia-smi" or "none"


class InventoryError(ValueError):
    """A declared inventory that cannot be read."""


def parse_declared(text: str) -> tuple[Gpu, ...]:
    """ "4xA100:40" or "A100:40,A100:40,H100:80" (name, optional count and GiB) -> GPUs numbered from 0."""
    gpus: list[Gpu] = []
    for item in (part.strip() for part in text.split(",")):
        match = _DECLARED_ITEM.match(item)
        if not item or match is None:
            raise InventoryError(f"cannot read GPU {item!r}: write COUNTxNAME:GiB, for example 4xA100:40")
        for _ in range(int(match["count"] or 1)):
            gpus.append(Gpu(len(gpus), match["name"].strip(), float(match["memory"] or 0)))
    return tuple(gpus)


def parse_nvidia_smi(output: str) -> tuple[Gpu, ...]:
    """nvidia-smi's CSV lines ("0, NVIDIA A100-SXM4-40GB, 40960") -> GPUs (memory in GiB)."""
    gpus = []
    for line in output.strip().splitlines():
        index, name, memory_mib = (cell.strip() for cell in line.split(","))
        gpus.append(Gpu(int(index), name, round(float(memory_mib) / 1024, 1)))
    return tuple(gpus)


def discover(declared: str = "") -> Inventory:
    """The declared inventory when set ("none" for a CPU-only node), else what nvidia-smi reports."""
    if declared.strip().lower() == "none":
        return Inventory((), "none")
    if declared.strip():
        return Inventory(parse_declared(declared), "declared")
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            done = subprocess.run([smi, *NVIDIA_SMI_QUERY], capture_output=True, text=True, timeout=10, check=True)
            return Inventory(parse_nvidia_smi(done.stdout), "nvidia-smi")
        except (OSError, subprocess.SubprocessError, ValueError):
            pass  # a driver that does not answer: train on what torch finds (the CPU)
    return Inventory((), "none")
