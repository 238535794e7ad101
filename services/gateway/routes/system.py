"""The machine at a glance (/api/system/status): load, memory, GPUs and, on request, who holds which GPU."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

import psutil
from fastapi import APIRouter, Depends

from simpletuner.api.common.v1.access_pb2 import PERMISSION_JOB_VIEW_OWN
from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb

from ..deps import ClientsDep
from ..security import requires

router = APIRouter(prefix="/api/system", tags=["system"])
STARTED = time.monotonic()


def allocation_body(allocation: pb.GpuAllocation) -> dict[str, Any]:
    return {
        "allocated_gpus": list(allocation.allocated_gpus),
        "available_gpus": list(allocation.available_gpus),
        "running_local_jobs": allocation.running_local_jobs,
        "devices": [
            {
                "index": device.index,
                "name": device.name,
                "memory_gb": device.memory_gb,
                "allocated": device.allocated,
                "job_id": device.job_id or None,
            }
            for device in allocation.devices
        ],
    }


@router.get("/status", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def status(clients: ClientsDep, include_allocation: bool = False) -> dict[str, Any]:
    """Load, memory and the training machine's GPUs; `include_allocation=true` adds `gpu_allocation`
    (which GPUs running jobs hold, which are free)."""
    allocation = (await clients.scheduler.GetGpuAllocation(pb.GetGpuAllocationRequest())).allocation
    one, five, fifteen = os.getloadavg()
    body: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(),
        "uptime_seconds": round(time.monotonic() - STARTED, 1),
        "load_avg_1min": one,
        "load_avg_5min": five,
        "load_avg_15min": fifteen,
        "memory_percent": psutil.virtual_memory().percent,
        "gpus": [
            {
                "index": device.index,
                "name": device.name,
                "backend": "cuda",
                "utilization_percent": None,
                "memory_percent": None,
            }
            for device in allocation.devices
        ],
        "gpu_inventory": {
            "backend": allocation.backend,
            "count": len(allocation.devices),
            "capabilities": {"allocation": True},
        },
    }
    if include_allocation:
        body["gpu_allocation"] = allocation_body(allocation)
    return body
