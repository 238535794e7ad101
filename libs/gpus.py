"""This machine's GPU inventory: declared by a setting (tests, demos, pinned fleets), else nvidia-smi, else torch
(ROCm, or NVIDIA without nvidia-smi), else none. CUDA_VISIBLE_DEVICES numbering.

torch is asked in a child process, and only when the machine shows a GPU device node, so a service never
imports it and a CPU-only machine never pays for it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NVIDIA_SMI_QUERY = ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"]
DEVICE_NODES = ("/dev/kfd", "/dev/nvidia0")  # ROCm's compute node, NVIDIA's first GPU
TORCH_PROBE = (
    "import json, torch; print(json.dumps([[i, torch.cuda.get_device_name(i), "
    "torch.cuda.get_device_properties(i).total_memory / 2**30] for i in range(torch.cuda.device_count())] "
    "if torch.cuda.is_available() else []))"
)
_DECLARED_ITEM = re.compile(r"^(?:(?P<count>\d+)x)?(?P<name>[^:]+?)(?::(?P<memory>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_gb: float


@dataclass(frozen=True)
class Inventory:
    gpus: tuple[Gpu, ...]
    backend: str  # "declared", "nvidia-smi", "torch" or "none"


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


def discover(declared: str = "", device_nodes: Sequence[str] = DEVICE_NODES) -> Inventory:
    """The declared inventory when set ("none" for a CPU-only node), else nvidia-smi's, else torch's."""
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
            pass  # a driver that does not answer: ask torch below
    if any(Path(node).exists() for node in device_nodes):
        found = probe_torch()
        if found:
            return Inventory(found, "torch")
    return Inventory((), "none")


def probe_torch(python: str = sys.executable) -> tuple[Gpu, ...]:
    """The GPUs torch sees (ROCm builds answer through torch.cuda too); none when it cannot tell."""
    try:
        done = subprocess.run([python, "-c", TORCH_PROBE], capture_output=True, text=True, timeout=120, check=True)
        rows = json.loads(done.stdout.strip().splitlines()[-1])
        return tuple(Gpu(int(index), str(name), round(float(memory), 1)) for index, name, memory in rows)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return ()
