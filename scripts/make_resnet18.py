"""Write ResNet-18 (generated weights, ImageNet shape) as ONNX: python scripts/make_resnet18.py -o resnet18.onnx"""

from __future__ import annotations

import argparse
import time

import onnx

from vta.compiler.model_resnet18 import build_resnet18


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--out", default="resnet18.onnx")
    ap.add_argument("--size", type=int, default=224, help="input height = width (default 224)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.time()
    model = build_resnet18(args.size, seed=args.seed)
    onnx.save(model, args.out)
    print(f"wrote {args.out} ({model.ByteSize() / 1e6:.1f} MB) in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
