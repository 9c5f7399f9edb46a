"""Packed tensor layouts for any Config, and their inverses.

- activations NCHW -> (N/b, C/c, H, W, b, c): one INP/OUT element per (batch block, channel block, pixel);
- weights OIHW -> (O/c, I/c, KH, KW, c_o, c_i): one WGT element per (out block, in block, tap);
- bias (O,) -> (O/c, b, c) int32: one ACC element per out block, the same value on every batch lane.

b = Config.batch, c = Config.block_in (= block_out). Counts that are not a
multiple of the block are zero-padded by the packers and sliced off by the
unpackers. The operator templates use a more general weight form
(`pack_weight_blocks`: units of grouped convolution and transposed-convolution
phases); the plain OIHW form is the special case of one unit and one phase.
"""

from __future__ import annotations

import numpy as np

from vta.isa.config import Config

from .expr import ceil_div


def padded(n: int, block: int) -> int:
    """`n` rounded up to a multiple of `block`."""
    return ceil_div(n, block) * block


def _pack_blocks(x: np.ndarray, b0: int, b1: int, pad_value: int = 0) -> np.ndarray:
    """(A, B, H, W) -> (A/b0, B/b1, H, W, b0, b1): the two leading dimensions blocked and moved inward."""
    a, bb, h, w = x.shape
    full = np.full((padded(a, b0), padded(bb, b1), h, w), pad_value, dtype=x.dtype)
    full[:a, :bb] = x
    return np.ascontiguousarray(full.reshape(padded(a, b0) // b0, b0, padded(bb, b1) // b1, b1, h, w)
                                .transpose(0, 2, 4, 5, 1, 3))


def _unpack_blocks(p: np.ndarray, a: int, bb: int) -> np.ndarray:
    n0, n1, h, w, b0, b1 = p.shape
    return np.ascontiguousarray(p.transpose(0, 4, 1, 5, 2, 3).reshape(n0 * b0, n1 * b1, h, w)[:a, :bb])


def pack_activation(x: np.ndarray, config: Config, pad_value: int = 0) -> np.ndarray:
    """int8 (N, C, H, W) -> (N/b, C/c, H, W, b, c); padded batch and channels hold `pad_value`."""
    return _pack_blocks(x, config.batch, config.block_in, pad_value)


def unpack_activation(p: np.ndarray, n: int, ch: int) -> np.ndarray:
    """(N/b, C/c, H, W, b, c) -> (N, C, H, W), dropping padded batch entries and channels."""
    return _unpack_blocks(p, n, ch)


def pack_weight(w: np.ndarray, config: Config) -> np.ndarray:
    """int8 (O, I, KH, KW) -> (O/c, I/c, KH, KW, c_o, c_i), zero-padded."""
    return _pack_blocks(w, config.block_out, config.block_in)


def unpack_weight(p: np.ndarray, o: int, i: int) -> np.ndarray:
    return _unpack_blocks(p, o, i)


def pack_bias(bias: np.ndarray, config: Config, channels_padded: int | None = None) -> np.ndarray:
    """int32 (O,) -> (O/c, b, c): each ACC element holds the block's biases on every batch lane."""
    c, b = config.block_out, config.batch
    total = channels_padded if channels_padded is not None else padded(len(bias), c)
    full = np.zeros(total, dtype=np.int32)
    full[: len(bias)] = bias
    return np.ascontiguousarray(np.broadcast_to(full.reshape(total // c, 1, c), (total // c, b, c)))


def pack_flat(x: np.ndarray, config: Config) -> np.ndarray:
    """Any-shape int8 array -> (E, b, c) elements of its flattened values (elementwise ops), zero-padded."""
    lanes = config.batch * config.block_in
    flat = np.zeros(padded(max(x.size, 1), lanes), dtype=np.int8)
    flat[: x.size] = x.reshape(-1)
    return flat.reshape(-1, config.batch, config.block_in)


def unpack_flat(p: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape, dtype=np.int64))
    return p.reshape(-1)[:size].reshape(shape).copy()


def identity_block(config: Config) -> np.ndarray:
    """One WGT element that copies a vector through GEMM: ACC[b][j] += INP[b][j]."""
    return np.eye(config.block_out, config.block_in, dtype=np.int8).reshape(1, config.block_out, config.block_in)


def bias_gemm_blocks(bias: np.ndarray, config: Config, channels_padded: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bias as a GEMM: one INP element `c` and a WGT element per output block with c . w[j] == bias[j].

    c = (1, 127, 127, ...) on every batch row; lane 0 of w takes the remainder of bias / 127,
    the other lanes share the quotient. A GEMM micro-op adds it exactly (the dot product is
    computed without overflow, then added to ACC with the same int32 wrap as an ALU ADD), in
    one cycle where a tensor ALU ADD takes two. None when some bias is out of reach
    (|bias| above about 127 * 127 * (block_in - 1)).
    """
    co, ci, b = config.block_out, config.block_in, config.batch
    full = np.zeros(channels_padded, dtype=np.int64)
    full[: len(bias)] = bias
    c = np.full(ci, 127, dtype=np.int64)
    c[0] = 1
    w = np.zeros((channels_padded, ci), dtype=np.int64)
    if ci == 1:
        w[:, 0] = full
    else:
        s = np.floor_divide(full + 63, 127)  # nearest quotient: remainder in [-63, 63]
        w[:, 0] = full - 127 * s
        base = np.floor_divide(s, ci - 1)
        extra = s - base * (ci - 1)
        w[:, 1:] = base[:, None] + (np.arange(ci - 1)[None, :] < extra[:, None])
    if w.min(initial=0) < -128 or w.max(initial=0) > 127 or not np.array_equal(w @ c, full):
        return None
    ones = np.broadcast_to(c.astype(np.int8), (1, b, ci)).copy()
    return ones, np.ascontiguousarray(w.astype(np.int8).reshape(channels_padded // co, co, ci))


def pack_weight_blocks(dense: np.ndarray, config: Config, *, units: int, cpg: int, span: int,
                       taps: list[tuple[int, int]]) -> np.ndarray:
    """The conv template's weight tensor (CO/c, span, T, c_o, c_i) from a dense int8 (O, I, KH, KW) kernel.

    Output block j = u*cpg + jj (unit u) reads input blocks u*span .. u*span+span-1; tap t of the
    template is kernel position taps[t] = (kh, kw). With one unit this is pack_weight with the taps
    flattened; for grouped convolution `dense` is the block-diagonal expansion of the grouped kernel.
    """
    c = config.block_out
    o, i = dense.shape[:2]
    cob, cib = units * cpg, units * span
    full = np.zeros((cob * c, cib * c, dense.shape[2], dense.shape[3]), dtype=np.int8)
    full[:o, :i] = dense
    blocks = full.reshape(cob, c, cib, c, dense.shape[2], dense.shape[3])
    kh_idx = np.array([t[0] for t in taps], dtype=np.int64)
    kw_idx = np.array([t[1] for t in taps], dtype=np.int64)
    out = np.zeros((cob, span, len(taps), c, c), dtype=np.int8)
    for u in range(units):
        rows = blocks[u * cpg : (u + 1) * cpg, :, u * span : (u + 1) * span]  # (cpg, c_o, span, c_i, KH, KW)
        sel = rows[..., kh_idx, kw_idx]  # (cpg, c_o, span, c_i, T)
        out[u * cpg : (u + 1) * cpg] = sel.transpose(0, 2, 4, 1, 3)
    return out


def expand_groups(weight: np.ndarray, groups: int) -> np.ndarray:
    """Grouped kernel (O, I/g, KH, KW) -> dense block-diagonal (O, I, KH, KW)."""
    o, ig, kh, kw = weight.shape
    og = o // groups
    dense = np.zeros((o, ig * groups, kh, kw), dtype=weight.dtype)
    for g in range(groups):
        dense[g * og : (g + 1) * og, g * ig : (g + 1) * ig] = weight[g * og : (g + 1) * og]
    return dense


def pack_conv2d_transpose_weight(weight: np.ndarray, config: Config, stride=1, padding=0,
                                 output_padding=0, input_hw: tuple[int, int] = (1, 1)) -> np.ndarray:
    """conv2d_transpose's own layout: ONNX/PyTorch (I, O, KH, KW) -> (O/c, I/c, T, c_o, c_i).

    The kernel is transposed to (O, I) and its taps are ordered by output phase (outputs
    o = s*q + r use the flipped sub-kernel of residue r), as ops.conv2d_transpose computes.
    `input_hw` only matters when a phase would have no output position (tiny inputs).
    """
    from .workload import make_conv_spec  # layout does not otherwise depend on the templates

    i, o, kh, kw = weight.shape
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    spec = make_conv_spec("conv2d_transpose", config, (1, i) + tuple(input_hw), o, kh, kw, pair(stride),
                          pair(padding), 1, pair(output_padding), transpose=True)
    dense = np.ascontiguousarray(weight.transpose(1, 0, 2, 3))
    return pack_weight_blocks(dense, config, units=1, cpg=spec.cpg, span=spec.span, taps=spec.taps)
