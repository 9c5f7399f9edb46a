"""Calibration: run the float graph on the user's sample inputs and record each tensor's range.

The graph is evaluated with the numpy float evaluator (graph_ops), one chunk of
`batch` samples at a time (the graph's shapes are static). For every value we keep
the maximum absolute value and a bounded random sample of its elements, from which
quant.py picks power-of-two exponents (see quant_ops.best_exp).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .graph import Graph
from .graph_errors import CompileError
from .graph_eval import eval_node

SAMPLE_PER_TENSOR = 1 << 15


@dataclass
class TensorStats:
    maxabs: float = 0.0
    samples: list[np.ndarray] = field(default_factory=list)

    def values(self) -> np.ndarray:
        return np.concatenate(self.samples) if self.samples else np.zeros(0, np.float32)


@dataclass
class Calibration:
    stats: dict[str, TensorStats]
    count: int  # number of samples seen

    def maxabs(self, value: str) -> float:
        return self.stats[value].maxabs if value in self.stats else 0.0


def run_float(graph: Graph, feeds: dict[str, np.ndarray], keep: Callable[[str, np.ndarray], None] | None = None
              ) -> dict[str, np.ndarray]:
    """Evaluate the float graph on one batch; `keep(name, array)` sees every value; returns the outputs."""
    env: dict[str, np.ndarray] = dict(graph.consts)
    for name in graph.inputs:
        x = np.asarray(feeds[name])
        want = graph.types[name].shape
        if x.shape != want:
            raise CompileError(f"input {name!r} has shape {x.shape}, the graph was built for {want}")
        env[name] = x.astype(np.float32) if graph.types[name].dtype == "float32" else x
        if keep is not None:
            keep(name, env[name])
    for node in graph.nodes:
        outs = eval_node(node, [env[i] if i else None for i in node.inputs])
        for o, v in zip(node.outputs, outs):
            env[o] = v
            if keep is not None:
                keep(o, v)
    return {o: env[o] for o in graph.outputs}


def calibrate(graph: Graph, samples: dict[str, np.ndarray] | np.ndarray, *, seed: int = 0,
              progress: Callable[[int, int], None] | None = None) -> Calibration:
    """Run every calibration sample through the float graph (chunks of the graph's batch size)."""
    if isinstance(samples, np.ndarray):
        if len(graph.inputs) != 1:
            raise CompileError(f"the graph has {len(graph.inputs)} inputs; give calibration as a dict name -> array")
        samples = {graph.inputs[0]: samples}
    batch = graph.types[graph.inputs[0]].shape[0]
    total = None
    for name in graph.inputs:
        if name not in samples:
            raise CompileError(f"calibration data has no array for input {name!r}")
        arr = np.asarray(samples[name])
        want = graph.types[name].shape
        if arr.ndim == len(want) - 1:
            arr = arr[None]
        if arr.shape[1:] != want[1:] or arr.shape[0] % want[0]:
            raise CompileError(f"calibration array for {name!r} has shape {arr.shape}; need (k*{want[0]},) + {want[1:]}")
        samples[name] = arr
        total = arr.shape[0] if total is None else min(total, arr.shape[0])
    rng = np.random.default_rng(seed)
    stats: dict[str, TensorStats] = {}
    chunks = total // batch
    per_chunk = max(256, SAMPLE_PER_TENSOR // max(chunks, 1))

    def keep(name: str, v: np.ndarray) -> None:
        if v.dtype != np.float32:
            return
        st = stats.setdefault(name, TensorStats())
        if v.size:
            st.maxabs = max(st.maxabs, float(np.max(np.abs(v))))
        flat = v.ravel()
        st.samples.append(flat if flat.size <= per_chunk else rng.choice(flat, per_chunk, replace=False))

    for k in range(chunks):
        run_float(graph, {n: samples[n][k * batch:(k + 1) * batch] for n in graph.inputs}, keep)
        if progress is not None:
            progress(k + 1, chunks)
    return Calibration(stats, total)
