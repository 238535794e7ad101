"""The GPU inventory: declared, from nvidia-smi, from torch (faked at the edge: the driver tools)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from simpletuner.libs import gpus
from simpletuner.libs.gpus import Gpu, InventoryError


def fake_tool(folder: Path, name: str, output: str) -> Path:
    tool = folder / name
    lines = "".join(f"printf '%s\\n' '{line}'\n" for line in output.splitlines())  # builtins only: PATH may be bare
    tool.write_text(f"#!/bin/sh\n{lines}")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return tool


def test_a_declared_inventory_is_numbered_from_zero() -> None:
    assert gpus.parse_declared("2xA100:40, H100:80") == (
        Gpu(0, "A100", 40.0),
        Gpu(1, "A100", 40.0),
        Gpu(2, "H100", 80.0),
    )
    assert gpus.discover("4xA100:40").backend == "declared"
    assert gpus.discover("none") == gpus.Inventory((), "none")
    with pytest.raises(InventoryError, match="COUNTxNAME:GiB"):
        gpus.parse_declared("A100:lots")


def test_nvidia_smi_is_asked_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path, "nvidia-smi", "0, NVIDIA A100-SXM4-40GB, 40960\n1, NVIDIA A100-SXM4-40GB, 40960")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    inventory = gpus.discover()
    assert inventory.backend == "nvidia-smi"
    assert inventory.gpus == (Gpu(0, "NVIDIA A100-SXM4-40GB", 40.0), Gpu(1, "NVIDIA A100-SXM4-40GB", 40.0))


def test_torch_is_asked_only_when_a_gpu_device_node_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    python = fake_tool(tmp_path, "python", '[[0, "AMD Instinct MI300X", 192.0]]')
    real_probe = gpus.probe_torch
    monkeypatch.setattr(gpus, "probe_torch", lambda: real_probe(str(python)))
    assert gpus.discover(device_nodes=[str(tmp_path / "no-such-device")]) == gpus.Inventory((), "none")
    (tmp_path / "kfd").touch()
    assert gpus.discover(device_nodes=[str(tmp_path / "kfd")]) == gpus.Inventory(
        (Gpu(0, "AMD Instinct MI300X", 192.0),), "torch"
    )


def test_a_torch_probe_that_fails_finds_nothing(tmp_path: Path) -> None:
    assert gpus.probe_torch(str(fake_tool(tmp_path, "python", "Traceback: no torch"))) == ()
    assert gpus.probe_torch(str(tmp_path / "missing-python")) == ()
