"""Partition: place each quantized node on the VTA or the CPU, by capability and a cost estimate.

Capability: only QConv, QDense, QConvTranspose, QMaxPool and QAdd have VTA kernels,
and only when partition_vta.plan accepts their shapes and immediates. Cost: the
VTA kernel's `predicted_cycles` at the configured clock, against the CPU estimate
`macs / cpu_macs_per_s + bytes / cpu_bytes_per_s` of a modest embedded host (the
Pynq-class ARM core VTA is paired with; change `CostModel` for another host).
Policies: "cost" (the cheaper side), "vta" (VTA whenever capable), "cpu" (never VTA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from vta.isa.config import Config

from .cpu_kernels import VIEW_OPS
from .graph import Graph, Node
from .graph_errors import CompileError
from .graph_ops import node_macs
from . import partition_vta

POLICIES = ("cost", "vta", "cpu")


@dataclass(frozen=True)
class CostModel:
    """The CPU side's speed for the estimate (defaults: a Pynq-class ARM Cortex-A9 with NEON)."""

    cpu_macs_per_s: float = 1.0e9
    cpu_bytes_per_s: float = 1.0e9


@dataclass
class Placement:
    """Where one node runs and why."""

    target: str                      # "vta", "cpu" or "view"
    reason: str
    macs: int = 0
    cpu_s: float = 0.0               # estimated CPU time
    vta_s: float | None = None       # predicted VTA time (cycles / clock)
    vta_cycles: int | None = None
    kernel: Any = field(default=None, repr=False)  # partition_vta.VtaKernel when target == "vta"


def cpu_estimate(g: Graph, node: Node, cost: CostModel) -> float:
    nbytes = sum(g.types[v].size * (4 if g.types[v].dtype in ("int32", "float32") else 1)
                 for v in node.inputs + node.outputs if v)
    return node_macs(node, g) / cost.cpu_macs_per_s + nbytes / cost.cpu_bytes_per_s


def partition(g: Graph, config: Config, policy: str = "cost", cost: CostModel | None = None,
              log: Callable[[str], None] | None = None) -> dict[str, Placement]:
    """A Placement for every node of the quantized graph (VTA kernels are built here, once)."""
    if policy not in POLICIES:
        raise CompileError(f"partition policy {policy!r} is not one of {', '.join(POLICIES)}")
    cost = cost or CostModel()
    clock_hz = config.clock_mhz * 1e6
    have_ops = partition_vta.ops_module() is not None
    out: dict[str, Placement] = {}
    for node in g.nodes:
        macs = node_macs(node, g)
        cpu_s = cpu_estimate(g, node, cost)
        if node.op in VIEW_OPS:
            out[node.name] = Placement("view", "reshape of the same buffer", macs, 0.0)
            continue
        if node.op not in partition_vta.VTA_OPS:
            out[node.name] = Placement("cpu", "no VTA kernel for this op", macs, cpu_s)
            continue
        if policy == "cpu":
            out[node.name] = Placement("cpu", "policy cpu", macs, cpu_s)
            continue
        if not have_ops:
            out[node.name] = Placement("cpu", "vta.compiler.ops not available", macs, cpu_s)
            continue
        try:
            kernel = partition_vta.build(node, g, config)
        except CompileError as exc:
            out[node.name] = Placement("cpu", f"VTA cannot take it: {exc}", macs, cpu_s)
            if log:
                log(f"  {node.name}: CPU ({exc})")
            continue
        cycles = kernel.predicted_cycles
        vta_s = cycles / clock_hz if cycles is not None else None
        if policy == "vta" or vta_s is None or vta_s <= cpu_s:
            why = "policy vta" if policy == "vta" else (
                f"VTA {vta_s * 1e3:.3f} ms <= CPU {cpu_s * 1e3:.3f} ms" if vta_s is not None else "no VTA estimate")
            out[node.name] = Placement("vta", why, macs, cpu_s, vta_s, cycles, kernel)
        else:
            out[node.name] = Placement("cpu", f"CPU {cpu_s * 1e3:.3f} ms < VTA {vta_s * 1e3:.3f} ms", macs, cpu_s,
                                       vta_s, cycles)
    return out
