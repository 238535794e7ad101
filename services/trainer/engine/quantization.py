"""Quantising the frozen base model of a LoRA run (base_model_precision), so larger models fit: int8 or int4
weights through optimum-quanto, with the LoRA trained in float32 on top."""

from __future__ import annotations

import torch

from .run_config import ConfigError

QUANTO = {"int8-quanto": "qint8", "int4-quanto": "qint4"}
UNQUANTISED = ("no_change", "bf16")  # bf16 is the compute dtype, applied by the engine's cast


def quantize_frozen(module: torch.nn.Module, precision: str) -> None:
    """Replace the module's linear weights by quantised ones in place (call before attaching the adapter)."""
    if precision in UNQUANTISED:
        return
    if precision not in QUANTO:
        choices = ", ".join((*UNQUANTISED, *QUANTO))
        raise ConfigError([("base_model_precision", f"{precision} is not supported yet; use one of {choices}")])
    from optimum import quanto

    quanto.quantize(module, weights=getattr(quanto, QUANTO[precision]))
    quanto.freeze(module)  # keep only the quantised weights, dropping the float copies
