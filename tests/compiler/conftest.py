"""Compiler tests: keep BLAS single-threaded; fixtures that pin the tile order.

The fsim executes each GEMM instruction as one small BLAS matmul. On a loaded 2-core
machine a multi-threaded OpenBLAS spends ~100x longer synchronizing its threads than
computing (0.13 ms vs 19 ms for a 112x576x64 product), so the limit is set here.
"""

import pytest
from threadpoolctl import threadpool_limits

threadpool_limits(1)


def compile_only(monkeypatch, order: str) -> None:
    """Make op_conv compile two-thread tilings in one variant only: `order` ("pipelined" or "interleaved") with
    schedule_conv.TAIL_CHUNKS tail parts, for tests that check what that order emits."""
    from vta.compiler import op_conv
    from vta.compiler.schedule_conv import TAIL_CHUNKS
    monkeypatch.setattr(op_conv, "SCAN_VARIANT", (order, TAIL_CHUNKS))
    monkeypatch.setattr(op_conv, "ALU_HEAVY", float("inf"))  # no other variants


@pytest.fixture
def interleaved(monkeypatch):
    """Compile two-thread tilings only in pass_vthread's interleaved order (TAIL_CHUNKS parts on the last tiles)."""
    compile_only(monkeypatch, "interleaved")


@pytest.fixture
def pipelined(monkeypatch):
    """Compile two-thread tilings only in pass_pipeline's pipelined order (every tile in TAIL_CHUNKS parts)."""
    compile_only(monkeypatch, "pipelined")
