"""Differential fuzzing at scale: random valid programs on fsim and TSIM, every byte of DRAM compared.

    python bench/fuzz.py --n 5000                       # default Config, seeds 0..4999
    python bench/fuzz.py --n 2000 --config 1x32x32,4x16x16 --ops 64
    python bench/fuzz.py --n 1 --seed 1234 --ops 7 --hazards on --timings slow   # reproduce one printed case
    ... --trace case.vcd --no-json                      # the same with a waveform of the TSIM run

Cases alternate hazards on/off and cycle through the DRAM timings of
vta.tsim.fuzz_diff.TIMINGS. Each failure is shrunk to the smallest failing
`ops` count and printed as a program. Writes bench/results/fuzz.json (programs
run, mismatches, time); exits 1 if any program differs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import print_table, write_json
from vta.isa import Config
from vta.tsim.fuzz_diff import DEFAULT_OPS, TIMINGS, Differ

HAZARDS = {"both": (True, False), "on": (True,), "off": (False,)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="programs per Config (default 2000)")
    parser.add_argument("--config", default="default", help="preset names or JSON paths, comma separated")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first program (then seed+1, ...)")
    parser.add_argument("--ops", type=int, default=DEFAULT_OPS, help="body operations per program")
    parser.add_argument("--hazards", choices=tuple(HAZARDS), default="both")
    parser.add_argument("--timings", default=",".join(TIMINGS), help="DRAM timings, comma separated")
    parser.add_argument("--max-mismatches", type=int, default=5, help="failures to shrink and print per Config")
    parser.add_argument("--trace", default=None, metavar="PATH.vcd|PATH.fst",
                        help="record a TSIM waveform of the whole batch (one timing only; a traced build)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/fuzz.json")
    args = parser.parse_args()
    timings = tuple(t for t in args.timings.split(",") if t)
    if args.trace and len(timings) != 1:
        parser.error("--trace records one TSIM device: give a single --timings value")
    trace = {"trace": args.trace} if args.trace else {}
    load_before = os.getloadavg()
    start = time.perf_counter()
    reports = []
    for source in (s for s in args.config.split(",") if s):
        cfg = Config.load(source)
        print(f"fuzzing {args.n} programs on {source} ({cfg.bitstream}, bus {cfg.bus_width}) ...", flush=True)
        with Differ.open(cfg, timings, verbose=1, **trace) as differ:
            report = differ.run_batch(args.n, args.seed, args.ops, hazards=HAZARDS[args.hazards],
                                      max_mismatches=args.max_mismatches,
                                      progress=lambda msg: print(f"  {msg}", flush=True), progress_every=500)
        reports.append((source, report))
        print(report.table())
        for m in report.mismatches:
            print()
            print(m.text())
            print(f"  reproduce: python bench/fuzz.py --config {source} --n 1 --seed {m.minimal.seed} --ops "
                  f"{m.minimal.ops} --hazards {'on' if m.minimal.hazards else 'off'} --timings {m.minimal.timing}")
    seconds = time.perf_counter() - start
    programs = sum(r.programs for _, r in reports)
    mismatches = sum(r.failed for _, r in reports)
    figures = {
        "programs": programs, "mismatches": mismatches, "seconds": round(seconds, 1),
        "programs_per_s": round(programs / seconds, 1) if seconds else None,
        "ops": args.ops, "first_seed": args.seed, "hazards": args.hazards, "timings": list(timings),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "runs": [{"source": s, **r.as_dict()} for s, r in reports],
    }
    print()
    print_table([("programs", str(programs)), ("mismatches", str(mismatches)), ("time", f"{seconds:.1f} s"),
                 ("load average", f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()}"
                                  " cpus)")])
    if not args.no_json:
        print(f"wrote {write_json('fuzz', figures)}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
