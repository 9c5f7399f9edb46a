// Tensor ALU (semantics.md ALU): ACC[dst] = f(ACC[dst], imm or ACC[src]) on
// every int32 lane, OUT[dst] = low 8 bits, strictly in micro-op order.
//
//   IS  read ACC[src] (when !use_imm), then ACC[dst]; the micro-op is
//       accepted with its dst read. The ACC buffer has one read port, so a
//       src read costs a clock: 1 micro-op per clock with imm or a reused
//       src, 1 per 2 when src must be read
//   R   compute every lane
//   W   write ACC and OUT
//
// A read whose index matches a write still in R or W waits until that write
// has landed (read-after-write through dst or src), so the result equals
// sequential evaluation.
//
// Source reuse: the last src value read stays in b_q with its index. A tensor
// micro-op whose src index equals it skips the src read while the value is
// valid: from the read's return until any ACC write to that index (the
// ALU's own W stage or the snoop port, which carries every write to the ACC
// buffer) and never while a write to it is still in R or W (hz_src; the
// micro-op then reads src again once the write has landed).
module vta_tensor_alu
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits = MemSramBaseWidth,
  localparam int unsigned SrcBits = UopSrcIdxWidth,
  localparam int unsigned Lanes   = Batch * BlockOut
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clr_i,
  // micro-op stream
  input  logic                   in_valid_i,
  output logic                   in_ready_o,
  input  uop_t                   in_uop_i,
  input  logic [LogAccDepth-1:0] in_dst_off_i,
  input  logic [SrcBits-1:0]     in_src_off_i,
  input  logic [2:0]             in_alu_op_i,
  input  logic                   in_use_imm_i,
  input  logic [AluImmWidth-1:0] in_imm_i,
  input  logic                   in_last_i,
  // ACC / OUT scratchpad ports (lane 0)
  output logic                   acc_rd_en_o,
  output logic [IdxBits-1:0]     acc_rd_idx_o,
  input  logic [AccElemBits-1:0] acc_rd_data_i,
  output logic                   acc_wr_en_o,
  output logic [IdxBits-1:0]     acc_wr_idx_o,
  output logic [AccElemBits-1:0] acc_wr_data_o,
  output logic                   out_wr_en_o,
  output logic [IdxBits-1:0]     out_wr_idx_o,
  output logic [OutElemBits-1:0] out_wr_data_o,
  // every write to the ACC buffer, from any unit (invalidates a reused src)
  input  logic                   acc_wr_snoop_en_i,
  input  logic [IdxBits-1:0]     acc_wr_snoop_idx_i,
  input  logic [AccLanes-1:0]    acc_wr_snoop_lane_en_i,
  // status and events
  output logic                   idle_o,
  output logic                   uop_o,
  output logic                   retire_o
);
  // One lane of the ALU; the SHR rule is exact shifting (right by >= 32 gives
  // the sign, left by >= 32 gives 0).
  function automatic logic [AccWidth-1:0] alu_lane(logic [2:0] op, logic [AccWidth-1:0] a,
                                                   logic [AccWidth-1:0] b);
    logic [AccWidth-1:0] neg_b;
    logic [AccWidth-1:0] res;
    neg_b = -b;
    unique case (alu_op_e'(op))
      AluOpMin: res = ($signed(a) < $signed(b)) ? a : b;
      AluOpMax: res = ($signed(a) > $signed(b)) ? a : b;
      AluOpAdd: res = a + b;
      AluOpShr: begin
        if (!b[AccWidth-1]) begin
          res = $signed(a) >>> ((b > AccWidth'(AccWidth - 1)) ? AccWidth'(AccWidth - 1) : b);
        end else begin
          res = (neg_b >= AccWidth'(AccWidth)) ? '0 : a << neg_b;
        end
      end
      AluOpMul: res = a * b;
      default:  res = a;
    endcase
    return res;
  endfunction

  logic [LogAccDepth-1:0] dst, src;
  logic need_src, hz_src, hz_dst, rd_src, rd_dst, reuse_src;
  logic src_done_q, src_done_d, src_pend_q, src_pend_d;
  logic [AccElemBits-1:0] b_q, b_d;
  // index of the src value in b_q, and whether it still equals ACC[last_src_q]
  logic [LogAccDepth-1:0] last_src_q, last_src_d;
  logic last_ok_q, last_ok_d, wr_hits_src, wr_hits_last;

  // R stage
  logic                   r_valid_q, r_valid_d;
  logic [LogAccDepth-1:0] r_dst_q, r_dst_d;
  logic [2:0]             r_op_q, r_op_d;
  logic                   r_last_q, r_last_d, w_last_q, w_last_d;
  logic [AccElemBits-1:0] r_b_q, r_b_d;
  // W stage
  logic                   w_valid_q, w_valid_d;
  logic [LogAccDepth-1:0] w_dst_q, w_dst_d;
  logic [AccElemBits-1:0] w_data_q, w_data_d;

  assign dst       = in_uop_i.dst_idx + in_dst_off_i;
  assign src       = LogAccDepth'(in_uop_i.src_idx + in_src_off_i);
  assign hz_src    = (r_valid_q && r_dst_q == src) || (w_valid_q && w_dst_q == src);
  assign hz_dst    = (r_valid_q && r_dst_q == dst) || (w_valid_q && w_dst_q == dst);
  // b_q holds ACC[last_src_q] when last_ok_q, except on the clock its read returns (src_pend_q)
  assign reuse_src = last_ok_q && !src_pend_q && last_src_q == src && !hz_src;
  assign need_src  = in_valid_i && !in_use_imm_i && !src_done_q && !reuse_src;
  assign rd_src    = need_src && !hz_src;
  assign rd_dst    = in_valid_i && !need_src && !hz_dst;

  assign in_ready_o   = rd_dst;
  assign acc_rd_en_o  = rd_src || rd_dst;
  assign acc_rd_idx_o = IdxBits'(rd_src ? src : dst);

  // Whether an ACC write this clock lands on src / last_src_q (lane k of a write is element idx + k;
  // indices alias at the buffer depth like the scratchpad's). The ALU's own writes are in W.
  always_comb begin
    wr_hits_src  = w_valid_q && w_dst_q == src;
    wr_hits_last = w_valid_q && w_dst_q == last_src_q;
    for (int unsigned k = 0; k < AccLanes; k++) begin
      if (acc_wr_snoop_en_i && acc_wr_snoop_lane_en_i[k]) begin
        if (LogAccDepth'(acc_wr_snoop_idx_i + IdxBits'(k)) == src)        wr_hits_src  = 1'b1;
        if (LogAccDepth'(acc_wr_snoop_idx_i + IdxBits'(k)) == last_src_q) wr_hits_last = 1'b1;
      end
    end
  end

  // The remembered src becomes valid with its read (the read-first buffer returns the value from
  // before a write on the same clock, so such a write leaves it invalid) and stays valid until a
  // write to its index.
  always_comb begin
    last_src_d = last_src_q;
    last_ok_d  = last_ok_q && !wr_hits_last;
    if (rd_src) begin
      last_src_d = src;
      last_ok_d  = !wr_hits_src;
    end
    if (clr_i) last_ok_d = 1'b0;
  end

  always_comb begin
    src_done_d = src_done_q;
    if (rd_src) src_done_d = 1'b1;
    if (rd_dst) src_done_d = 1'b0;
    src_pend_d = rd_src;
    b_d        = acc_rd_data_i;
    r_valid_d  = rd_dst;
    r_dst_d    = rd_dst ? dst : r_dst_q;
    r_op_d     = rd_dst ? in_alu_op_i : r_op_q;
    r_last_d   = rd_dst && in_last_i;
    if (in_use_imm_i) begin
      for (int unsigned l = 0; l < Lanes; l++) r_b_d[l*AccWidth +: AccWidth] = AccWidth'($signed(in_imm_i));
    end else begin
      r_b_d = src_pend_q ? acc_rd_data_i : b_q;
    end
    if (clr_i) begin
      src_done_d = 1'b0;
      src_pend_d = 1'b0;
      r_valid_d  = 1'b0;
    end
  end

  // R: the dst operand arrives from the ACC read port. (Used only for a valid micro-op: w_data_q
  // loads only then, which also keeps the cycle model fast while the ALU is idle.)
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      w_data_d[l*AccWidth +: AccWidth] = alu_lane(r_op_q, acc_rd_data_i[l*AccWidth +: AccWidth],
                                                  r_b_q[l*AccWidth +: AccWidth]);
    end
  end
  assign w_valid_d = r_valid_q && !clr_i;
  assign w_dst_d   = r_dst_q;
  assign w_last_d  = r_last_q;

  // W
  assign acc_wr_en_o   = w_valid_q;
  assign acc_wr_idx_o  = IdxBits'(w_dst_q);
  assign acc_wr_data_o = w_data_q;
  assign out_wr_en_o   = w_valid_q;
  assign out_wr_idx_o  = IdxBits'(w_dst_q);
  always_comb begin
    for (int unsigned l = 0; l < Lanes; l++) begin
      out_wr_data_o[l*OutWidth +: OutWidth] = w_data_q[l*AccWidth +: OutWidth];
    end
  end

  // The ALU has no weights; the micro-op may also carry padding bits.
  logic unused_alu;
  assign unused_alu = ^{in_uop_i};

  assign idle_o = !r_valid_q && !w_valid_q && !src_done_q;
  assign uop_o  = w_valid_q;
  // the write of an instruction's last micro-op
  assign retire_o = w_valid_q && w_last_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      src_done_q <= 1'b0;
      src_pend_q <= 1'b0;
      last_src_q <= '0;
      last_ok_q  <= 1'b0;
      b_q        <= '0;
      r_valid_q  <= 1'b0;
      r_dst_q    <= '0;
      r_op_q     <= '0;
      r_last_q   <= 1'b0;
      w_last_q   <= 1'b0;
      r_b_q      <= '0;
      w_valid_q  <= 1'b0;
      w_dst_q    <= '0;
      w_data_q   <= '0;
    end else begin
      src_done_q <= src_done_d;
      src_pend_q <= src_pend_d;
      last_src_q <= last_src_d;
      last_ok_q  <= last_ok_d;
      r_valid_q  <= r_valid_d;
      r_dst_q    <= r_dst_d;
      r_op_q     <= r_op_d;
      r_last_q   <= r_last_d;
      w_last_q   <= w_last_d;
      w_valid_q  <= w_valid_d;
      w_dst_q    <= w_dst_d;
      // The wide operand and result registers load only when they take a new value (an
      // enable, so the cycle model copies them only then).
      if (src_pend_q) b_q      <= b_d;
      if (rd_dst)     r_b_q    <= r_b_d;
      if (r_valid_q)  w_data_q <= w_data_d;
    end
  end
endmodule
