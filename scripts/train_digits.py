"""Train the digits CNN with a small numpy trainer and write compiler/models/digits_cnn.onnx.

    python scripts/train_digits.py [--epochs 30] [--out compiler/models/digits_cnn.onnx]

Network (input 1x8x8 in [0, 1]):
    conv1 3x3 1->16 pad 1, relu
    conv2 3x3 16->32 pad 1, relu, maxpool 2x2
    conv3 3x3 32->32 pad 1, + skip (the pooled tensor), relu
    flatten 512 -> dense 10 -> softmax
Deterministic (seeded); no torch. About 2.5 minutes on 2 cores; the committed model is this script's default run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from vta.compiler.model_digits import load_split


# ---------------------------------------------------------------- layers (3x3, stride 1, pad 1)
def im2col(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # n c h w 3 3
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * 9)


def col2im(cols: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    n, c, h, w = shape
    cols = cols.reshape(n, h, w, c, 3, 3)
    out = np.zeros((n, c, h + 2, w + 2), cols.dtype)
    for i in range(3):
        for j in range(3):
            out[:, :, i:i + h, j:j + w] += cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return out[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, b):
    n, c, h, wd = x.shape
    cols = im2col(x)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def conv_bwd(dy, cols, x_shape, w):
    o = w.shape[0]
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (dyf.T @ cols).reshape(w.shape)
    db = dyf.sum(0)
    dx = col2im(dyf @ w.reshape(o, -1), x_shape)
    return dx, dw, db


def init(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return {
        "w1": he((16, 1, 3, 3), 9), "b1": np.zeros(16, np.float32),
        "w2": he((32, 16, 3, 3), 144), "b2": np.zeros(32, np.float32),
        "w3": he((32, 32, 3, 3), 288) * 0.5, "b3": np.zeros(32, np.float32),
        "w4": he((10, 512), 512) * 0.5, "b4": np.zeros(10, np.float32),
    }


def forward(p, x):
    c = {}
    z1, c["cols1"] = conv_fwd(x, p["w1"], p["b1"])
    a1 = np.maximum(z1, 0)
    z2, c["cols2"] = conv_fwd(a1, p["w2"], p["b2"])
    a2 = np.maximum(z2, 0)
    n = x.shape[0]
    blocks = a2.reshape(n, 32, 4, 2, 4, 2)
    pooled = blocks.max(axis=(3, 5))
    z3, c["cols3"] = conv_fwd(pooled, p["w3"], p["b3"])
    s3 = z3 + pooled
    a3 = np.maximum(s3, 0)
    f = a3.reshape(n, -1)
    logits = f @ p["w4"].T + p["b4"]
    c.update(x=x, z1=z1, a1=a1, z2=z2, a2=a2, pooled=pooled, s3=s3, f=f)
    return logits, c


def backward(p, c, logits, y):
    n = len(y)
    e = np.exp(logits - logits.max(1, keepdims=True))
    prob = e / e.sum(1, keepdims=True)
    loss = -np.log(prob[np.arange(n), y] + 1e-12).mean()
    d = prob
    d[np.arange(n), y] -= 1
    d /= n
    g = {"w4": d.T @ c["f"], "b4": d.sum(0)}
    da3 = (d @ p["w4"]).reshape(c["s3"].shape)
    ds3 = da3 * (c["s3"] > 0)
    dpool, g["w3"], g["b3"] = conv_bwd(ds3, c["cols3"], c["pooled"].shape, p["w3"])
    dpool = dpool + ds3
    a2 = c["a2"]
    blocks = a2.reshape(n, 32, 4, 2, 4, 2)
    mask = blocks == c["pooled"][:, :, :, None, :, None]
    da2 = (mask * dpool[:, :, :, None, :, None]).reshape(a2.shape)
    dz2 = da2 * (c["z2"] > 0)
    da1, g["w2"], g["b2"] = conv_bwd(dz2, c["cols2"], c["a1"].shape, p["w2"])
    dz1 = da1 * (c["z1"] > 0)
    _, g["w1"], g["b1"] = conv_bwd(dz1, c["cols1"], c["x"].shape, p["w1"])
    return loss, g


def train(epochs: int, seed: int = 0, log=print):
    x_tr, y_tr, x_te, y_te = load_split()
    rng = np.random.default_rng(seed)
    p = init(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    lr, b1, b2, t = 2e-3, 0.9, 0.999, 0
    for ep in range(epochs):
        order = rng.permutation(len(y_tr))
        losses = []
        for k in range(0, len(order), 32):
            idx = order[k:k + 32]
            xb = x_tr[idx]
            if rng.random() < 0.5:  # light augmentation: shift by one pixel
                xb = np.roll(xb, rng.integers(-1, 2), axis=int(rng.integers(2, 4)))
            logits, cache = forward(p, xb)
            loss, g = backward(p, cache, logits, y_tr[idx])
            losses.append(loss)
            t += 1
            for name in p:
                m[name] = b1 * m[name] + (1 - b1) * g[name]
                v2[name] = b2 * v2[name] + (1 - b2) * g[name] ** 2
                mh = m[name] / (1 - b1 ** t)
                vh = v2[name] / (1 - b2 ** t)
                p[name] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if ep == int(epochs * 0.7):
            lr *= 0.2
        acc = (forward(p, x_te)[0].argmax(1) == y_te).mean()
        log(f"epoch {ep + 1:3d}: loss {np.mean(losses):.4f}  test accuracy {acc * 100:.2f}%")
    return p


def to_onnx(p: dict[str, np.ndarray]):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in p.items()]
    inits.append(numpy_helper.from_array(np.array([1, 512], np.int64), "flat_shape"))
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["z1"], name="conv1", **conv),
        helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
        helper.make_node("Conv", ["a1", "w2", "b2"], ["z2"], name="conv2", **conv),
        helper.make_node("Relu", ["z2"], ["a2"], name="relu2"),
        helper.make_node("MaxPool", ["a2"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool", "w3", "b3"], ["z3"], name="conv3", **conv),
        helper.make_node("Add", ["z3", "pool"], ["s3"], name="skip_add"),
        helper.make_node("Relu", ["s3"], ["a3"], name="relu3"),
        helper.make_node("Flatten", ["a3"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "w4", "b4"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        initializer=[i for i in inits if i.name != "flat_shape"])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vta-kit")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "compiler" / "models" / "digits_cnn.onnx"))
    args = ap.parse_args(argv)
    t0 = time.time()
    p = train(args.epochs)
    model = to_onnx(p)
    import onnx

    onnx.save(model, args.out)
    import onnxruntime as ort

    _, _, x_te, y_te = load_split()
    sess = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    acc = (sess.run(None, {"input": x_te})[0].argmax(1) == y_te).mean()
    print(f"wrote {args.out}: onnxruntime test accuracy {acc * 100:.2f}% ({time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
