"""The third-party model: rapidocr's text-direction classifier (PaddleOCR ch_ppocr_mobile_v2.0_cls).

A real pretrained MobileNetV3-style CNN (depthwise convs, hard-swish, squeeze-excite)
that says whether a 3x48x192 text-line crop is upright (class 0) or turned 180
degrees (class 1). It ships inside the rapidocr-onnxruntime package; inputs are made
here by rendering random text lines with matplotlib (no data download).
"""

from __future__ import annotations

from importlib import util
from pathlib import Path

import numpy as np

from .graph_errors import CompileError

INPUT_SHAPE = (1, 3, 48, 192)
_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"


def model_path() -> Path:
    """The classifier's ONNX file inside the installed rapidocr_onnxruntime package."""
    spec = util.find_spec("rapidocr_onnxruntime")
    if spec is None or spec.origin is None:
        raise CompileError("rapidocr-onnxruntime is not installed (pip install rapidocr-onnxruntime)")
    path = Path(spec.origin).parent / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
    if not path.exists():
        raise CompileError(f"{path} is missing from the rapidocr-onnxruntime package")
    return path


def render_lines(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images (count, 3, 48, 192) float32 normalized as the classifier expects, labels 0 upright / 1 flipped).

    Each image is a random string of letters and digits drawn in black on a light
    background; odd-indexed images are rotated by 180 degrees.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    h, w = INPUT_SHAPE[2], INPUT_SHAPE[3]
    out = np.empty((count, 3, h, w), np.float32)
    labels = np.arange(count) % 2
    fig = plt.figure(figsize=(w / 50, h / 50), dpi=50)
    for i in range(count):
        fig.clf()
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        bg = rng.uniform(0.8, 1.0)
        ax.set_facecolor((bg, bg, bg))
        fig.patch.set_facecolor((bg, bg, bg))
        text = "".join(rng.choice(list(_CHARS), int(rng.integers(5, 11))))
        ax.text(0.03, 0.5, text, fontsize=float(rng.uniform(18, 24)), va="center", ha="left",
                family=["sans-serif", "serif", "monospace"][int(rng.integers(0, 3))], color=(0.05, 0.05, 0.05))
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(np.float32) / 255.0
        img = img[:h, :w]
        if labels[i]:
            img = img[::-1, ::-1]
        out[i] = ((img - 0.5) / 0.5).transpose(2, 0, 1)
    plt.close(fig)
    return out, labels.astype(np.int64)
