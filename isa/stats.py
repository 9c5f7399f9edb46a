"""Run statistics every backend returns: upstream's profiler counters plus per-opcode counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class RunStats:
    """What one `Device.run` did. Timing backends add cycles and hardware counters."""

    insn_count: int = 0
    insns_by_opcode: dict[str, int] = field(default_factory=dict)  # LOAD, STORE, GEMM, ALU, FINISH, NOP
    gemm_uops: int = 0  # upstream gemm_counter: non-reset GEMM micro-op executions
    gemm_reset_uops: int = 0
    alu_uops: int = 0  # upstream alu_counter
    inp_load_nbytes: int = 0
    wgt_load_nbytes: int = 0
    acc_load_nbytes: int = 0
    uop_load_nbytes: int = 0
    out_store_nbytes: int = 0
    elapsed_s: float = 0.0
    backend: str = ""
    cycles: int | None = None  # simulated or measured clock cycles, where the backend models time
    hw_counters: dict[str, int] = field(default_factory=dict)  # per-module busy/stall counters etc.

    @property
    def gemm_counter(self) -> int:
        return self.gemm_uops

    @property
    def alu_counter(self) -> int:
        return self.alu_uops

    def profiler(self) -> dict[str, int]:
        """The upstream `vta.simulator.profiler_status` keys."""
        return {
            "inp_load_nbytes": self.inp_load_nbytes,
            "wgt_load_nbytes": self.wgt_load_nbytes,
            "acc_load_nbytes": self.acc_load_nbytes,
            "uop_load_nbytes": self.uop_load_nbytes,
            "out_store_nbytes": self.out_store_nbytes,
            "gemm_counter": self.gemm_uops,
            "alu_counter": self.alu_uops,
        }

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(self.insns_by_opcode.items()))
        lines = [
            f"backend {self.backend}: {self.insn_count} instructions ({ops}) in {self.elapsed_s * 1e3:.1f} ms",
            f"  GEMM uops {self.gemm_uops} (+{self.gemm_reset_uops} reset), ALU uops {self.alu_uops}",
            f"  loaded: inp {self.inp_load_nbytes} B, wgt {self.wgt_load_nbytes} B, acc {self.acc_load_nbytes} B,"
            f" uop {self.uop_load_nbytes} B; stored: out {self.out_store_nbytes} B",
        ]
        if self.cycles is not None:
            lines.append(f"  cycles {self.cycles}")
        return "\n".join(lines)
