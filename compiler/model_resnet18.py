"""ResNet-18 (ImageNet layout, 1x3x224x224) built as ONNX with generated weights.

Weights are He-initialized from a seed; every BatchNormalization gets the per-channel
mean and variance its convolution actually produces on synthetic images (a
data-dependent init), so activations stay well scaled through all 18 layers
(gamma 1, except 0.5 on each block's second BN so residual sums do not grow).
No download: the network is generated. `synthetic_images` makes smooth, natural-
looking inputs normalized like ImageNet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph_eval import conv2d_float

STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


def synthetic_images(n: int, size: int = 224, seed: int = 0) -> np.ndarray:
    """n float32 images (n, 3, size, size): low-frequency colour blobs plus texture, ImageNet-normalized."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, 3, size, size), np.float32)
    for i in range(n):
        img = np.zeros((3, size, size), np.float32)
        for cells, amp in ((4, 1.0), (16, 0.5), (size // 4, 0.25)):
            coarse = rng.standard_normal((3, cells, cells)).astype(np.float32)
            rep = -(-size // cells)
            img += amp * np.repeat(np.repeat(coarse, rep, axis=1), rep, axis=2)[:, :size, :size]
        out[i] = img / img.std()
    return out


def _bn_from(y: np.ndarray, gamma: float) -> dict[str, np.ndarray]:
    mean = y.mean(axis=(0, 2, 3)).astype(np.float32)
    var = y.var(axis=(0, 2, 3)).astype(np.float32) + 1e-3
    c = len(mean)
    return {"scale": np.full(c, gamma, np.float32), "bias": np.zeros(c, np.float32), "mean": mean, "var": var}


def _bn_apply(y: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    s = (p["scale"] / np.sqrt(p["var"] + 1e-5)).reshape(1, -1, 1, 1)
    return (y - p["mean"].reshape(1, -1, 1, 1)) * s + p["bias"].reshape(1, -1, 1, 1)


def build_resnet18(image_size: int = 224, num_classes: int = 1000, seed: int = 0, init_images: int = 2) -> Any:
    """An onnx.ModelProto of ResNet-18 (opset 13) with generated weights; input 'input' (N, 3, S, S)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    x = synthetic_images(init_images, image_size, seed + 100)
    inits: list[Any] = []
    nodes: list[Any] = []

    def he(shape: tuple[int, ...]) -> np.ndarray:
        fan_in = int(np.prod(shape[1:]))
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def conv_bn(name: str, inp: str, act: np.ndarray, cin: int, cout: int, k: int, stride: int, gamma: float = 1.0
                ) -> tuple[str, np.ndarray]:
        w = he((cout, cin, k, k))
        pad = k // 2
        y = conv2d_float(act, w, (stride, stride), (pad, pad, pad, pad), 1)
        bn = _bn_from(y, gamma)
        inits.append(numpy_helper.from_array(w, f"{name}.weight"))
        for key, arr in bn.items():
            inits.append(numpy_helper.from_array(arr, f"{name}.bn.{key}"))
        nodes.append(helper.make_node("Conv", [inp, f"{name}.weight"], [f"{name}.conv"], name=name,
                                      kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("BatchNormalization", [f"{name}.conv"] + [f"{name}.bn.{k_}" for k_ in
                                      ("scale", "bias", "mean", "var")], [f"{name}.out"], name=f"{name}.bn",
                                      epsilon=1e-5))
        return f"{name}.out", _bn_apply(y, bn)

    def relu(name: str, inp: str, act: np.ndarray) -> tuple[str, np.ndarray]:
        nodes.append(helper.make_node("Relu", [inp], [name], name=name))
        return name, np.maximum(act, 0)

    t, a = conv_bn("conv1", "input", x, 3, 64, 7, 2)
    t, a = relu("relu1", t, a)
    nodes.append(helper.make_node("MaxPool", [t], ["pool1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    ap = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    a = np.lib.stride_tricks.sliding_window_view(ap, (3, 3), axis=(2, 3))[:, :, ::2, ::2].max(axis=(4, 5))
    t, cin = "pool1", 64
    for si, (cout, stride) in enumerate(STAGES, start=1):
        for bi in range(2):
            s = stride if bi == 0 else 1
            name = f"layer{si}.{bi}"
            h, ha = conv_bn(f"{name}.conv1", t, a, cin, cout, 3, s)
            h, ha = relu(f"{name}.relu1", h, ha)
            h, ha = conv_bn(f"{name}.conv2", h, ha, cout, cout, 3, 1, gamma=0.5)
            if s != 1 or cin != cout:
                skip, skip_a = conv_bn(f"{name}.down", t, a, cin, cout, 1, s, gamma=0.5)
            else:
                skip, skip_a = t, a
            nodes.append(helper.make_node("Add", [h, skip], [f"{name}.sum"], name=f"{name}.add"))
            t, a = relu(f"{name}.relu2", f"{name}.sum", ha + skip_a)
            cin = cout
    nodes.append(helper.make_node("GlobalAveragePool", [t], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    feat = a.mean(axis=(2, 3))
    fc = (rng.standard_normal((num_classes, 512)) / np.sqrt(512)).astype(np.float32)
    fc /= float(np.std(feat @ fc.T)) + 1e-6  # logits of unit spread
    inits.append(numpy_helper.from_array(fc, "fc.weight"))
    inits.append(numpy_helper.from_array(np.zeros(num_classes, np.float32), "fc.bias"))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "resnet18",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, image_size, image_size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", num_classes])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="vta-kit")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
