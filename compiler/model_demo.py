"""The ML user's first run: compile the digits CNN to VTA, run the test set, compare with float.

    python -m vta.compiler.model_demo [--device fsim] [--png digits_predictions.png]

Prints float (onnxruntime) vs int8-on-VTA accuracy, a per-layer table (where each
layer ran, MACs, cycles, time) and writes a PNG of a few test digits with the
predictions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from vta.isa.config import Config

from . import model_digits


def float_predictions(x: np.ndarray) -> np.ndarray:
    """Class probabilities of the float model by onnxruntime (independent of the kit)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(model_digits.model_path()), providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})[0]


def write_png(path: Path, x: np.ndarray, y: np.ndarray, pred: np.ndarray, count: int = 24) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(pred != y)
    idx = list(wrong[:count // 4]) + [i for i in range(len(y)) if i not in set(wrong)][:count - min(len(wrong), count // 4)]
    cols = 8
    rows = -(-len(idx) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.5))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), sorted(idx)):
        ax.imshow(x[i, 0], cmap="gray_r", vmin=0, vmax=1)
        ok = pred[i] == y[i]
        ax.set_title(f"VTA {pred[i]}" + ("" if ok else f" (true {y[i]})"), fontsize=8, color="black" if ok else "red")
    fig.suptitle("digits CNN, int8 on VTA (fsim)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m vta.compiler.model_demo", description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="fsim", help="fsim (default) or tsim")
    ap.add_argument("--config", default=None, help="preset name or vta_config.json")
    ap.add_argument("--png", default="digits_predictions.png", help="where to write the picture")
    ap.add_argument("--batch", type=int, default=72, help="batch size to compile for (the 360 test digits run in chunks)")
    args = ap.parse_args(argv)

    from .compile_model import compile as compile_model

    config = Config.load(args.config) if args.config else Config()
    _, _, x_test, y_test = model_digits.load_split()
    n = len(y_test)
    t0 = time.perf_counter()
    module = compile_model(model_digits.model_path(), config, model_digits.calibration_set(64), batch=args.batch)
    t_compile = time.perf_counter() - t0
    print(f"compiled {model_digits.model_path().name} in {t_compile:.2f} s: {module.summary()}")

    t1 = time.perf_counter()
    probs = module.run(x_test, device=args.device)["probs"]
    t_run = time.perf_counter() - t1
    module.close()
    pred = probs.argmax(1)
    fprobs = float_predictions(x_test)
    fpred = fprobs.argmax(1)
    acc_f = float((fpred == y_test).mean())
    acc_q = float((pred == y_test).mean())
    agree = float((fpred == pred).mean())
    print(f"\n{n} test digits on {args.device} in {t_run:.2f} s ({t_run / n * 1e3:.2f} ms per image)")
    print(f"  float (onnxruntime) accuracy: {acc_f * 100:6.2f}%")
    print(f"  int8 on VTA accuracy:         {acc_q * 100:6.2f}%   (difference {(acc_q - acc_f) * 100:+.2f} points)")
    print(f"  top-1 agreement float/int8:   {agree * 100:6.2f}%\n")
    print(module.layer_table())
    png = write_png(Path(args.png), x_test, y_test, pred)
    print(f"\nwrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
