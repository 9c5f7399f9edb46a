"""The digits workload: scikit-learn's 8x8 handwritten digits and the project's small CNN.

The CNN (compiler/models/digits_cnn.onnx) is trained by scripts/train_digits.py with a
plain numpy trainer; the split below is the one it was trained and tested on.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

MODEL_FILE = "digits_cnn.onnx"
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def model_path() -> Path:
    """Path of the committed, trained digits CNN (ONNX, opset 13)."""
    return Path(str(resources.files("vta.compiler").joinpath("models", MODEL_FILE)))


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test); x is float32 (N, 1, 8, 8) in [0, 1], y int64.

    A fixed, stratified split (seed 0, 20% test) of sklearn's load_digits.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None]
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(SPLIT_SEED)
    test = np.zeros(len(y), bool)
    for cls in range(10):
        idx = np.flatnonzero(y == cls)
        pick = rng.choice(idx, int(round(len(idx) * TEST_FRACTION)), replace=False)
        test[pick] = True
    return x[~test], y[~test], x[test], y[test]


def calibration_set(count: int = 64) -> np.ndarray:
    """A deterministic subset of the training images for calibration."""
    x_train, y_train, _, _ = load_split()
    rng = np.random.default_rng(1)
    return x_train[rng.choice(len(x_train), count, replace=False)]
