"""The operator API: compile once, run on any Device.

    from vta.compiler import ops
    conv = ops.conv2d(w, b, input_shape=(1, 64, 56, 56), padding=1,
                      epilogue=(ops.Shr(8), ops.AddBias(), ops.Clip(0, 127)))
    y = conv.run(device, x)                    # int8 NCHW in, int8 NCHW out
    print(conv.ir_text(), conv.program_text(), conv.predicted_cycles, conv.last_stats)

Operators: conv2d (any kernel, stride, padding, groups), dense, conv2d_transpose,
max_pool2d, add. Epilogue steps run in the given order on the int32 accumulator;
the store keeps the low 8 bits. `tiles` is None (cost-model choice), a Tiles, or
MeasureTiles(device) (measure the model's best candidates).
"""

from __future__ import annotations

from .epilogue import AddBias, AddImm, AddResidual, Clip, MaxImm, MinImm, MulImm, Relu, Shr, Step
from .errors import CompileError
from .op_conv import ConvOp, MeasureTiles, conv2d, conv2d_transpose, dense
from .op_elementwise import AddOp, PoolOp, add, max_pool2d
from .pipeline import describe as pipeline_text
from .tiling import Tiles

__all__ = [
    "AddBias", "AddImm", "AddOp", "AddResidual", "Clip", "CompileError", "ConvOp", "MaxImm", "MeasureTiles", "MinImm",
    "MulImm", "PoolOp", "Relu", "Shr", "Step", "Tiles", "add", "conv2d", "conv2d_transpose", "dense", "max_pool2d",
    "pipeline_text",
]
