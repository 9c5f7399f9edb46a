// GEMM core: one micro-op per clock (semantics.md GEMM), fully pipelined.
//
//   S0  indices = micro-op fields + loop offsets; read INP, WGT and ACC
//   S1  BATCH x BLOCK_OUT dot products of BLOCK_IN int8 pairs (int32 wrap)
//   S2  ACC[dst] = old + dot (or 0 for reset_reg); OUT[dst] = low 8 bits
//       (reset leaves OUT unchanged); retire_o when it is its instruction's last
//
// A micro-op's ACC read happens two cycles before its write, so the writes
// of the two micro-ops ahead of it are forwarded in S2 (newest first): back
// to back accumulation into one ACC entry sums correctly with no stall.
module vta_gemm_core
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits = MemSramBaseWidth,
  localparam int unsigned SrcBits = UopSrcIdxWidth,
  localparam int unsigned Lanes   = Batch * BlockOut
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clr_i,
  // micro-op stream (always accepted)
  input  logic                   in_valid_i,
  input  uop_t                   in_uop_i,
  input  logic [LogAccDepth-1:0] in_dst_off_i,
  input  logic [SrcBits-1:0]     in_src_off_i,
  input  logic [LogWgtDepth-1:0] in_wgt_off_i,
  input  logic                   in_reset_i,
  input  logic                   in_last_i,
  // scratchpad ports (lane 0)
  output logic                   inp_rd_en_o,
  output logic [IdxBits-1:0]     inp_rd_idx_o,
  input  logic [InpElemBits-1:0] inp_rd_data_i,
  output logic                   wgt_rd_en_o,
  output logic [IdxBits-1:0]     wgt_rd_idx_o,
  input  logic [WgtElemBits-1:0] wgt_rd_data_i,
  output logic                   acc_rd_en_o,
  output logic [IdxBits-1:0]     acc_rd_idx_o,
  input  logic [AccElemBits-1:0] acc_rd_data_i,
  output logic                   acc_wr_en_o,
  output logic [IdxBits-1:0]     acc_wr_idx_o,
  output logic [AccElemBits-1:0] acc_wr_data_o,
  output logic                   out_wr_en_o,
  output logic [IdxBits-1:0]     out_wr_idx_o,
  output logic [OutElemBits-1:0] out_wr_data_o,
  // status and events
  output logic                   idle_o,
  output logic                   uop_o,
  output logic                   acc_wr_o,
  output logic                   retire_o
);
  localparam logic [InpWidth-1:0] InpSign = 1 << (InpWidth - 1);
  localparam logic [WgtWidth-1:0] WgtSign = 1 << (WgtWidth - 1);
  localparam logic [AccWidth-1:0] InpBias = AccWidth'(InpSign);
  localparam logic [AccWidth-1:0] WgtBias = AccWidth'(WgtSign);

  logic [LogAccDepth-1:0] dst;
  logic [LogInpDepth-1:0] src;
  logic [LogWgtDepth-1:0] wgt;
  logic                   rd;

  // ------------------------------------------------------------------ S0
  assign dst = in_uop_i.dst_idx + in_dst_off_i;
  assign src = LogInpDepth'(in_uop_i.src_idx + in_src_off_i);
  assign wgt = in_uop_i.wgt_idx + in_wgt_off_i;
  assign rd  = in_valid_i && !in_reset_i;

  assign inp_rd_en_o  = rd;
  assign inp_rd_idx_o = IdxBits'(src);
  assign wgt_rd_en_o  = rd;
  assign wgt_rd_idx_o = IdxBits'(wgt);
  assign acc_rd_en_o  = rd;
  assign acc_rd_idx_o = IdxBits'(dst);

  logic                   s1_valid_q, s1_valid_d, s1_reset_q, s1_reset_d, s1_last_q, s1_last_d;
  logic [LogAccDepth-1:0] s1_dst_q, s1_dst_d;

  assign s1_valid_d = in_valid_i && !clr_i;
  assign s1_reset_d = in_reset_i;
  assign s1_last_d  = in_last_i;
  assign s1_dst_d   = dst;

  // ------------------------------------------------------------------ S1: dot products
  // (Computed only for a valid micro-op, which also keeps the cycle model fast while idle.)
  logic [Lanes-1:0][AccWidth-1:0] dot;

  // Sign extension is written as (x ^ 0x80) - 128, which Verilator turns into plain integer
  // operations (several times faster than its generic sign-extension helpers).
  always_comb begin
    dot = '0;
    if (s1_valid_q) begin
      for (int unsigned b = 0; b < Batch; b++) begin
        for (int unsigned j = 0; j < BlockOut; j++) begin
          for (int unsigned k = 0; k < BlockIn; k++) begin
            dot[b*BlockOut + j] += (AccWidth'(inp_rd_data_i[(b*BlockIn + k)*InpWidth +: InpWidth] ^ InpSign) - InpBias)
                                 * (AccWidth'(wgt_rd_data_i[(j*BlockIn + k)*WgtWidth +: WgtWidth] ^ WgtSign) - WgtBias);
          end
        end
      end
    end
  end

  logic                           s2_valid_q, s2_valid_d, s2_reset_q, s2_reset_d, s2_last_q, s2_last_d;
  logic [LogAccDepth-1:0]         s2_dst_q, s2_dst_d;
  logic [Lanes-1:0][AccWidth-1:0] s2_dot_q, s2_dot_d;
  logic [AccElemBits-1:0]         s2_acc_q, s2_acc_d;

  assign s2_valid_d = s1_valid_q && !clr_i;
  assign s2_reset_d = s1_reset_q;
  assign s2_last_d  = s1_last_q;
  assign s2_dst_d   = s1_dst_q;
  assign s2_dot_d   = dot;
  assign s2_acc_d   = s1_valid_q ? acc_rd_data_i : s2_acc_q;

  // ------------------------------------------------------------------ S2: accumulate and write
  logic                   w1_valid_q, w1_valid_d, w2_valid_q, w2_valid_d;
  logic [LogAccDepth-1:0] w1_dst_q, w1_dst_d, w2_dst_q, w2_dst_d;
  logic [AccElemBits-1:0] w1_data_q, w1_data_d, w2_data_q, w2_data_d;
  logic [AccElemBits-1:0] old, sum;

  always_comb begin
    old = s2_acc_q;
    if (w2_valid_q && w2_dst_q == s2_dst_q) old = w2_data_q;
    if (w1_valid_q && w1_dst_q == s2_dst_q) old = w1_data_q;
    for (int unsigned l = 0; l < Lanes; l++) begin
      sum[l*AccWidth +: AccWidth] = s2_reset_q ? '0 : old[l*AccWidth +: AccWidth] + s2_dot_q[l];
    end
  end

  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      out_wr_data_o[l*OutWidth +: OutWidth] = sum[l*AccWidth +: OutWidth];
    end
  end

  assign acc_wr_en_o   = s2_valid_q;
  assign acc_wr_idx_o  = IdxBits'(s2_dst_q);
  assign acc_wr_data_o = sum;
  assign out_wr_en_o   = s2_valid_q && !s2_reset_q;
  assign out_wr_idx_o  = IdxBits'(s2_dst_q);

  assign w1_valid_d = s2_valid_q && !clr_i;
  assign w1_dst_d   = s2_dst_q;
  assign w1_data_d  = sum;
  assign w2_valid_d = w1_valid_q && !clr_i;
  assign w2_dst_d   = w1_dst_q;
  assign w2_data_d  = w1_data_q;

  // Micro-op padding bits (configs whose fields do not fill 32 bits).
  logic unused_uop;
  assign unused_uop = ^{in_uop_i};

  assign idle_o   = !s1_valid_q && !s2_valid_q;
  assign uop_o    = s2_valid_q && !s2_reset_q;
  assign acc_wr_o = s2_valid_q;
  assign retire_o = s2_valid_q && s2_last_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s1_reset_q <= 1'b0;
      s1_last_q  <= 1'b0;
      s1_dst_q   <= '0;
      s2_valid_q <= 1'b0;
      s2_reset_q <= 1'b0;
      s2_last_q  <= 1'b0;
      s2_dst_q   <= '0;
      s2_dot_q   <= '0;
      s2_acc_q   <= '0;
      w1_valid_q <= 1'b0;
      w1_dst_q   <= '0;
      w1_data_q  <= '0;
      w2_valid_q <= 1'b0;
      w2_dst_q   <= '0;
      w2_data_q  <= '0;
    end else begin
      s1_valid_q <= s1_valid_d;
      s1_reset_q <= s1_reset_d;
      s1_last_q  <= s1_last_d;
      s1_dst_q   <= s1_dst_d;
      s2_valid_q <= s2_valid_d;
      s2_reset_q <= s2_reset_d;
      s2_last_q  <= s2_last_d;
      s2_dst_q   <= s2_dst_d;
      s2_dot_q   <= s2_dot_d;
      s2_acc_q   <= s2_acc_d;
      w1_valid_q <= w1_valid_d;
      w1_dst_q   <= w1_dst_d;
      w1_data_q  <= w1_data_d;
      w2_valid_q <= w2_valid_d;
      w2_dst_q   <= w2_dst_d;
      w2_data_q  <= w2_data_d;
    end
  end
endmodule
