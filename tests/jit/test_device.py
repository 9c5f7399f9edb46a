"""The Device contract on the fsim backend: memory, run, errors, lifetime."""

import numpy as np
import pytest

from vta.isa import Config, DeviceError, FinishInsn, encode_program
from vta.jit import open_device


@pytest.fixture
def dev():
    with open_device("fsim", Config(), dram_bytes=1 << 24) as d:
        yield d


def test_alloc_is_nonzero_and_page_aligned(dev):
    addrs = [dev.alloc(n) for n in (1, 4095, 4096, 4097, 100000)]
    assert all(a != 0 and a % 4096 == 0 for a in addrs)
    assert len(set(addrs)) == len(addrs)
    spans = sorted(zip(addrs, (1, 4095, 4096, 4097, 100000)))
    for (a, n), (b, _) in zip(spans, spans[1:]):
        assert a + n <= b  # no overlap


def test_write_read_round_trip_bytes_and_arrays(dev):
    addr = dev.alloc(64)
    dev.write(addr, b"\x01\x02\x03")
    assert dev.read(addr, 3).tolist() == [1, 2, 3]
    arr = np.arange(16, dtype=np.int32)
    dev.write(addr, arr)
    out = dev.read(addr, 64)
    assert out.dtype == np.uint8 and np.array_equal(out.view(np.int32), arr)
    out[0] = 99  # a copy: device memory unchanged
    assert dev.read(addr, 1)[0] == 0


def test_new_allocations_are_zeroed_after_reuse(dev):
    a = dev.alloc(4096)
    dev.write(a, np.full(4096, 7, np.uint8))
    dev.free(a)
    b = dev.alloc(4096)
    assert not dev.read(b, 4096).any()


@pytest.mark.parametrize("what", ["read past end", "write past end", "unallocated", "double free", "bad size"])
def test_out_of_bounds_access_raises(dev, what):
    a = dev.alloc(100)
    with pytest.raises(DeviceError):
        if what == "read past end":
            dev.read(a + 90, 11)
        elif what == "write past end":
            dev.write(a, bytes(101))
        elif what == "unallocated":
            dev.read(a + 8192, 1)
        elif what == "double free":
            dev.free(a)
            dev.free(a)
        else:
            dev.alloc(0)


def test_run_returns_stats(dev):
    blob = encode_program([FinishInsn()], dev.config)
    addr = dev.alloc(len(blob))
    dev.write(addr, blob)
    stats = dev.run(addr, 1)
    assert stats.insn_count == 1 and stats.backend == "fsim" and stats.elapsed_s >= 0
    assert set(stats.profiler()) == {"inp_load_nbytes", "wgt_load_nbytes", "acc_load_nbytes", "uop_load_nbytes",
                                     "out_store_nbytes", "gemm_counter", "alu_counter"}


def test_run_argument_errors(dev):
    addr = dev.alloc(16)
    with pytest.raises(DeviceError, match="insn_count"):
        dev.run(addr, 0)
    with pytest.raises(DeviceError, match="instruction stream"):
        dev.run(addr, 2)  # 32 bytes from a 16-byte allocation
    with pytest.raises(DeviceError, match="timeout_s"):
        dev.run(addr, 1, timeout_s=0)


def test_closed_device_refuses_work():
    d = open_device("fsim", Config(), dram_bytes=1 << 20)
    d.close()
    with pytest.raises(DeviceError, match="closed"):
        d.alloc(1)


def test_unknown_backend():
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        open_device("gpu")
