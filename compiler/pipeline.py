"""The pass pipeline: a printable list of small passes from a scheduled Func to a Program of JIT calls.

    print(describe())           # the passes, in order, with what each establishes
    result = run_pipeline(func)  # result.ir (final loop IR), result.stream, result.program
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .codegen import Program, codegen
from .ir_print import print_func
from .loop_ir import Func
from .pass_dma import inject_dma
from .pass_fold import fold_uop_loops
from .pass_lower import lower_to_stream
from .pass_pipeline import pipeline_virtual_threads
from .pass_stream import (assign_sram_slots, build_kernels, insert_dependency_tokens, sink_static_loads,
                          split_synchronize)
from .pass_tensorize import tensorize_alu, tensorize_gemm
from .pass_vthread import inject_virtual_threads
from .stream import Stream

#: Loop-IR passes (Func -> Func), in order.
LOOP_PASSES: list[Callable[[Func], Func]] = [
    inject_virtual_threads,
    inject_dma,
    tensorize_gemm,
    tensorize_alu,
    fold_uop_loops,
]

#: The pass that leaves the loop IR (Func -> Stream).
LOWER: Callable[[Func], Stream] = lower_to_stream

#: Stream passes (Stream -> Stream), in order; codegen (Stream -> Program) follows.
STREAM_PASSES: list[Callable[[Stream], Stream]] = [
    pipeline_virtual_threads,
    sink_static_loads,
    split_synchronize,
    assign_sram_slots,
    build_kernels,
    insert_dependency_tokens,
]

PIPELINE: list[Callable] = LOOP_PASSES + [LOWER] + STREAM_PASSES + [codegen]


def describe() -> str:
    """The pipeline as text: one line per pass with the first line of its docstring."""
    lines = []
    for i, p in enumerate(PIPELINE):
        doc = (p.__doc__ or "").strip().splitlines()[0]
        lines.append(f"{i + 1:2d}. {p.__name__:26s} {doc}")
    return "\n".join(lines)


@dataclass
class PipelineResult:
    scheduled_func: Func  # the loop IR as the schedule built it
    ir: Func  # the loop IR after the loop passes
    stream: Stream
    program: Program

    @property
    def scheduled(self) -> str:
        return print_func(self.scheduled_func)

    @property
    def ir_text(self) -> str:
        return print_func(self.ir)


def run_pipeline(func: Func) -> PipelineResult:
    scheduled = func
    for p in LOOP_PASSES:
        func = p(func)
    stream = LOWER(func)
    for sp in STREAM_PASSES:
        stream = sp(stream)
    return PipelineResult(scheduled, func, stream, codegen(stream))
