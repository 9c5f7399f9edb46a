"""ResNet-18 end to end: compile time, fsim and TSIM run of the whole network, accelerator latency, CPU part.

    python bench/resnet18_e2e.py [--size 224] [--no-tsim]

Writes bench/results/resnet18_e2e.json with compile_s, fsim_s, tsim_s, tsim_cycles,
latency_ms_at_100mhz (TSIM cycles of the VTA kernels at the config's clock),
cpu_s (the CPU-side steps of one run), the per-layer split, whether the outputs are
bit-exact with the independent reference interpreter, and float/int8 agreement.
Targets: compile < 5 s, fsim <= 0.5 s, TSIM <= 20 s, latency <= 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import print_table, write_json
from vta.compiler import compile as compile_model
from vta.compiler.model_resnet18 import build_resnet18, synthetic_images
from vta.isa.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compiler"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--no-tsim", action="store_true")
    ap.add_argument("--calib", type=int, default=2, help="calibration images")
    args = ap.parse_args()
    config = Config()
    proto = build_resnet18(args.size, seed=0)
    cal = synthetic_images(args.calib, args.size, seed=3)
    x = synthetic_images(1, args.size, seed=9)

    t0 = time.perf_counter()
    m = compile_model(proto, config, cal)
    compile_s = time.perf_counter() - t0
    stages = m.meta["report"].stage_s

    m.run(x, device="fsim")  # first run writes the weights to the device
    t1 = time.perf_counter()
    out_fsim = m.run(x, device="fsim")["logits"]
    fsim_s = time.perf_counter() - t1
    cpu_s = sum(p.time_s for p in m.last_profile if p.target == "cpu")
    fsim_vta_s = sum(p.time_s for p in m.last_profile if p.target == "vta")
    predicted = sum(p.predicted_cycles or 0 for p in m.last_profile if p.target == "vta")

    from quant_reference import run_reference

    exact = bool(np.array_equal(out_fsim, run_reference(m.quant_graph, {"input": x})["logits"]))

    tsim_s = tsim_cycles = latency_ms = None
    tsim_exact = None
    layers = []
    if not args.no_tsim:
        from vta.jit import open_device

        try:
            dev = open_device("tsim", config)
        except Exception as exc:  # noqa: BLE001 - any build/load failure means no TSIM figures
            print(f"TSIM not available: {exc}")
            dev = None
        if dev is not None:
            with dev:
                m.run(x, device=dev)  # weights resident; TSIM library loaded
                t2 = time.perf_counter()
                out_tsim = m.run(x, device=dev)["logits"]
                tsim_s = time.perf_counter() - t2
            tsim_exact = bool(np.array_equal(out_tsim, out_fsim))
            tsim_cycles = int(sum(p.cycles or 0 for p in m.last_profile if p.target == "vta"))
            latency_ms = tsim_cycles / (config.clock_mhz * 1e3)
            layers = [{"name": p.name, "op": p.op, "target": p.target, "macs": p.macs, "cycles": p.cycles,
                       "predicted_cycles": p.predicted_cycles, "time_s": round(p.time_s, 5)}
                      for p in m.last_profile if p.target != "view"]
    m.close()

    figures = {
        "image_size": args.size, "compile_s": round(compile_s, 3), "compile_stages_s": {k: round(v, 3) for k, v in
                                                                                          stages.items()},
        "fsim_s": round(fsim_s, 3), "fsim_vta_steps_s": round(fsim_vta_s, 3),
        "tsim_s": None if tsim_s is None else round(tsim_s, 3), "tsim_cycles": tsim_cycles,
        "latency_ms_at_100mhz": None if latency_ms is None else round(latency_ms, 3),
        "predicted_cycles": int(predicted), "cpu_s": round(cpu_s, 5),
        "bit_exact_fsim_vs_reference": exact, "bit_exact_tsim_vs_fsim": tsim_exact,
        "steps_on_vta": sum(s.target == "vta" for s in m.steps), "steps_on_cpu": sum(s.target == "cpu" for s in m.steps),
        "targets": {"compile_s": 5.0, "fsim_s": 0.5, "tsim_s": 20.0, "latency_ms_at_100mhz": 100.0},
        "layers": layers,
    }
    print(f"ResNet-18 {args.size}x{args.size} end to end ({m.summary()})")
    print_table([
        ("compile", f"{compile_s:.2f} s  (target < 5 s; {', '.join(f'{k} {v:.2f}' for k, v in stages.items())})"),
        ("fsim whole network", f"{fsim_s:.2f} s  (target <= 0.5 s; VTA steps {fsim_vta_s:.2f} s)"),
        ("TSIM whole network", "n/a" if tsim_s is None else f"{tsim_s:.2f} s  (target <= 20 s)"),
        ("TSIM cycles", "n/a" if tsim_cycles is None else f"{tsim_cycles:,} (model predicted {int(predicted):,})"),
        ("latency at 100 MHz", "n/a" if latency_ms is None else f"{latency_ms:.1f} ms  (target <= 100 ms)"),
        ("CPU part", f"{cpu_s * 1e3:.2f} ms (host CPU, native code)"),
        ("bit-exact", f"fsim vs reference {exact}, TSIM vs fsim {tsim_exact}"),
    ])
    print(f"wrote {write_json('resnet18_e2e', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
