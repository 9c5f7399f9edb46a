"""Compiler tests: keep BLAS single-threaded.

The fsim executes each GEMM instruction as one small BLAS matmul. On a loaded 2-core
machine a multi-threaded OpenBLAS spends ~100x longer synchronizing its threads than
computing (0.13 ms vs 19 ms for a 112x576x64 product), so the limit is set here.
"""

from threadpoolctl import threadpool_limits

threadpool_limits(1)
