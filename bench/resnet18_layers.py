"""ResNet-18 conv layers C2-C11 through vta.compiler: compile time, fsim time, TSIM cycles, roofline.

    python bench/resnet18_layers.py [--no-tsim] [--config NAME]

For each layer (upstream's workloads with the test tail >> 8, + bias, clip):
compile time (median of COMPILE_RUNS compiles; the first is kept too), fsim run time
(median of warm runs), a plain numpy reference's
time, the model's predicted cycles, TSIM cycles when TSIM can be opened, GEMM
micro-ops, the DRAM bytes the chosen tiles really move, and the fraction of the
roofline bound reached. Bound = max(GEMM micro-ops at one per cycle, the
layer's minimum DRAM traffic (each needed input, weight and output byte once) /
Config.bus_bytes per cycle).

The compute stage's two units (dual issue: the GEMM core and the tensor ALU run
side by side on different ACC banks) bound a layer by its compute floor, the busier
unit's work: the GEMM core's (the convolution's GEMM micro-ops, its accumulator
resets - one per output vector, or with MIN-init one per accumulator entry, once -
and the epilogue's GEMM micro-ops: bias through a constant INP element, residual
through the identity block) or the ALU's (one cycle per micro-op with an immediate
or, for MIN-init, a src repeated from the micro-op before; two for the tensor ALU
bias ADD). `alu_ceiling_fraction`
= bound / max(compute floor, DRAM cycles) is the best roofline_fraction this
lowering can reach; `fraction_of_ceiling` = max(compute floor, DRAM cycles) / TSIM
cycles is how close the schedule gets to it. Writes
bench/results/resnet18_layers.json and a roofline plot beside it, and prints a table.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: see tests/compiler/conftest.py

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from vta.compiler import ops  # noqa: E402
from vta.compiler.cost_model import min_dram_bytes, roofline_cycles  # noqa: E402
from vta.isa.config import Config  # noqa: E402
from vta.isa.errors import VtaError  # noqa: E402
from vta.jit import open_device  # noqa: E402

# name: (H, W, CI, CO, K, pad, stride), upstream's test_benchmark_topi_conv2d.py workloads
LAYERS = {
    "C2": (56, 56, 64, 64, 3, 1, 1), "C3": (56, 56, 64, 128, 3, 1, 2), "C4": (56, 56, 64, 128, 1, 0, 2),
    "C5": (28, 28, 128, 128, 3, 1, 1), "C6": (28, 28, 128, 256, 3, 1, 2), "C7": (28, 28, 128, 256, 1, 0, 2),
    "C8": (14, 14, 256, 256, 3, 1, 1), "C9": (14, 14, 256, 512, 3, 1, 2), "C10": (14, 14, 256, 512, 1, 0, 2),
    "C11": (7, 7, 512, 512, 3, 1, 1),
}
RESULTS = Path(__file__).resolve().parent / "results"
COMPILE_RUNS = 3


def numpy_conv(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Plain numpy integer convolution (float64 products are exact here), then the test tail."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, o, oh, ow))
    wf = w.astype(np.float64)
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride]
            out += np.einsum("nchw,oc->nohw", patch, wf[:, :, i, j], optimize=True)
    return out.astype(np.int64)


def bench_layer(name: str, cfg: Config, fsim, tsim, runs: int) -> dict:
    h, w, ci, co, k, pad, stride = LAYERS[name]
    rng = np.random.default_rng(0xDEADB)
    x = rng.integers(-128, 128, (cfg.batch, ci, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (co, ci, k, k), dtype=np.int8)
    b = rng.integers(-16384, 16384, co).astype(np.int32)
    compile_times = []
    for _ in range(COMPILE_RUNS):  # the median of a few: one compile is 0.1-0.5 s and this machine is noisy
        t0 = time.perf_counter()
        conv = ops.conv2d(wt, b, input_shape=x.shape, stride=stride, padding=pad, config=cfg,
                          epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
        compile_times.append(time.perf_counter() - t0)
    compile_s = statistics.median(compile_times)
    t0 = time.perf_counter()
    y = conv.run(fsim, x)
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        conv.run(fsim, x)
        times.append(time.perf_counter() - t0)
    st = conv.last_stats
    t0 = time.perf_counter()
    want = np.clip((numpy_conv(x, wt, stride, pad) >> 8) + b.reshape(1, -1, 1, 1), 0, 127).astype(np.int8)
    numpy_s = time.perf_counter() - t0
    if not np.array_equal(y, want):
        raise SystemExit(f"{name}: fsim output differs from numpy")
    spec = conv.spec
    bound = roofline_cycles(spec)
    # compute-stage floor of this lowering (see the module docstring)
    reset_uops = conv.plan.acc_regions * conv.plan.s_acc if conv.min_init else spec.out_elems
    alu_bias = any(a[0] == "bias" for a in conv.actions) and not conv.bias_gemm and not conv.min_init
    tensor_alu_uops = spec.out_elems if alu_bias else 0
    floor = max(spec.gemm_uops + reset_uops + conv.epilogue_gemm_uops, st.alu_uops + tensor_alu_uops)
    ceiling = max(float(floor), min_dram_bytes(spec) / cfg.bus_bytes)
    row = {
        "name": name, "shape": {"H": h, "W": w, "CI": ci, "CO": co, "K": k, "pad": pad, "stride": stride},
        "tiles": conv.tiles.text(), "compile_s": compile_s, "compile_first_s": compile_times[0], "fsim_s": statistics.median(times), "fsim_first_s": first_s,
        "numpy_s": numpy_s, "gemm_uops": spec.gemm_uops, "epilogue_gemm_uops": conv.epilogue_gemm_uops,
        "reset_uops": st.gemm_reset_uops, "alu_uops": st.alu_uops,
        "bias": "min-init" if conv.min_init else "gemm" if conv.bias_gemm else "alu",
        "compute_floor_cycles": floor, "instructions": st.insn_count,
        "dram_load_bytes": st.inp_load_nbytes + st.wgt_load_nbytes + st.acc_load_nbytes + st.uop_load_nbytes,
        "dram_store_bytes": st.out_store_nbytes,
        "dram_bytes": {"inp": st.inp_load_nbytes, "wgt": st.wgt_load_nbytes, "acc": st.acc_load_nbytes,
                       "uop": st.uop_load_nbytes, "out": st.out_store_nbytes},
        "min_dram_bytes": min_dram_bytes(spec),
        "roofline_bound_cycles": bound, "predicted_cycles": conv.predicted_cycles,
        "predicted_roofline_fraction": bound / conv.predicted_cycles,
        "macs": conv.macs, "tsim_cycles": None, "roofline_fraction": None,
        "alu_ceiling_fraction": bound / ceiling, "fraction_of_ceiling": None,
    }
    if st.gemm_uops != spec.gemm_uops + conv.epilogue_gemm_uops or st.gemm_reset_uops != reset_uops:
        raise SystemExit(f"{name}: fsim counted {st.gemm_uops} GEMM and {st.gemm_reset_uops} reset micro-ops, "
                         f"expected {spec.gemm_uops} + {conv.epilogue_gemm_uops} and {reset_uops}")
    if tsim is not None:
        y2 = conv.run(tsim, x)
        if not np.array_equal(y, y2):
            raise SystemExit(f"{name}: TSIM output differs from fsim")
        row["tsim_cycles"] = conv.last_stats.cycles
        row["roofline_fraction"] = bound / conv.last_stats.cycles
        row["fraction_of_ceiling"] = ceiling / conv.last_stats.cycles
        row["tsim_counters"] = conv.last_stats.hw_counters
    return row


def plot(rows: list[dict], cfg: Config, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peak = 2 * cfg.macs_per_cycle  # ops per cycle
    intens = np.array([2 * r["gemm_uops"] * cfg.macs_per_cycle / r["min_dram_bytes"] for r in rows])
    xs = np.logspace(np.log10(max(1e-1, intens.min() / 4)), np.log10(intens.max() * 4), 200)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ax.loglog(xs, np.minimum(peak, xs * cfg.bus_bytes), "k-", label=f"roofline ({peak} ops/cycle, {cfg.bus_bytes} B/cycle)")
    pred = [2 * r["gemm_uops"] * cfg.macs_per_cycle / r["predicted_cycles"] for r in rows]
    ax.loglog(intens, pred, "o", mfc="none", color="tab:blue", label="model prediction")
    ceil = [2 * r["gemm_uops"] * cfg.macs_per_cycle * r["alu_ceiling_fraction"] / r["roofline_bound_cycles"]
            for r in rows]
    ax.loglog(intens, ceil, "_", ms=14, mew=2, color="tab:green", label="compute-stage ceiling (GEMM + reset + epilogue)")
    if all(r["tsim_cycles"] for r in rows):
        meas = [2 * r["gemm_uops"] * cfg.macs_per_cycle / r["tsim_cycles"] for r in rows]
        ax.loglog(intens, meas, "s", color="tab:red", label="TSIM measured")
        for r, xi, yi in zip(rows, intens, meas):
            ax.annotate(r["name"], (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=8)
    else:
        for r, xi, yi in zip(rows, intens, pred):
            ax.annotate(r["name"], (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=8)
    ax.set_xlabel("arithmetic intensity (ops per minimum DRAM byte)")
    ax.set_ylabel("ops per cycle")
    ax.set_title(f"ResNet-18 C2-C11 on VTA {cfg.bitstream}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-tsim", action="store_true", help="skip TSIM even if it is available")
    ap.add_argument("--config", default="default", help="Config preset (default: default)")
    ap.add_argument("--runs", type=int, default=3, help="warm fsim runs per layer (median reported)")
    args = ap.parse_args()
    threadpool_limits(1)
    cfg = Config.load(args.config)
    fsim = open_device("fsim", cfg)
    tsim = None
    if not args.no_tsim:
        try:
            tsim = open_device("tsim", cfg)
        except VtaError as exc:
            print(f"TSIM not available ({exc}); reporting fsim and the model only")
    rows = [bench_layer(name, cfg, fsim, tsim, args.runs) for name in LAYERS]
    head = (f"{'layer':5s} {'compile s':>9s} {'fsim s':>7s} {'numpy s':>8s} {'GEMM uops':>9s} {'insns':>6s} "
            f"{'DRAM B':>9s} {'min B':>9s} {'predicted':>9s} {'TSIM cyc':>9s} {'roofline':>8s} {'ceiling':>7s}  tiles")
    print(head)
    print("-" * len(head))
    for r in rows:
        tc = f"{r['tsim_cycles']:9d}" if r["tsim_cycles"] else f"{'-':>9s}"
        frac = r["roofline_fraction"] if r["roofline_fraction"] is not None else r["predicted_roofline_fraction"]
        mark = "" if r["roofline_fraction"] is not None else "*"
        print(f"{r['name']:5s} {r['compile_s']:9.3f} {r['fsim_s']:7.3f} {r['numpy_s']:8.3f} {r['gemm_uops']:9d} "
              f"{r['instructions']:6d} {r['dram_load_bytes'] + r['dram_store_bytes']:9d} {r['min_dram_bytes']:9d} "
              f"{r['predicted_cycles']:9.0f} {tc} {frac:7.1%}{mark} {r['alu_ceiling_fraction']:7.1%}  {r['tiles']}")
    tot = {k: sum(r[k] for r in rows) for k in ("compile_s", "fsim_s", "numpy_s")}
    print("-" * len(head))
    print(f"{'total':5s} {tot['compile_s']:9.3f} {tot['fsim_s']:7.3f} {tot['numpy_s']:8.3f}"
          + ("" if tsim is not None else "   (* roofline fraction of the model's prediction: no TSIM)"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"config": cfg.bitstream, "bus_bytes": cfg.bus_bytes, "tsim": tsim is not None, "totals": tot,
           "layers": rows}
    (RESULTS / "resnet18_layers.json").write_text(json.dumps(out, indent=1) + "\n")
    plot(rows, cfg, RESULTS / "resnet18_layers.png")
    print(f"wrote {RESULTS / 'resnet18_layers.json'} and {RESULTS / 'resnet18_layers.png'}")


if __name__ == "__main__":
    main()
