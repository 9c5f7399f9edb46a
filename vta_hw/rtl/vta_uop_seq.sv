// Micro-op sequencer shared by the GEMM core and the tensor ALU: walks the
// index nest of a GEMM or ALU instruction (semantics.md GEMM/ALU: y over
// iter_out, x over iter_in, u over [uop_bgn, uop_end)), reads micro-op u from
// the UOP scratchpad and emits it with the loop offsets y*factor_out +
// x*factor_in (kept as running sums), one per clock when the consumer is
// ready. The next instruction waits in a small queue and starts on the clock
// after the last micro-op of the current one, so kernels run back to back.
// out_last_o marks an instruction's last micro-op (its unit signals the
// instruction's retirement when that micro-op's write lands).
module vta_uop_seq
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits = MemSramBaseWidth,
  localparam int unsigned SrcBits = UopSrcIdxWidth
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clr_i,
  // GEMM or ALU instruction
  input  logic                   kernel_valid_i,
  output logic                   kernel_ready_o,
  input  logic [InsnBits-1:0]    kernel_i,
  // UOP scratchpad read port (lane 0)
  output logic                   uop_rd_en_o,
  output logic [IdxBits-1:0]     uop_rd_idx_o,
  input  logic [UopBits-1:0]     uop_rd_data_i,
  // micro-op stream
  output logic                   out_valid_o,
  input  logic                   out_ready_i,
  output uop_t                   out_uop_o,
  output logic [LogAccDepth-1:0] out_dst_off_o,
  output logic [SrcBits-1:0]     out_src_off_o,
  output logic [LogWgtDepth-1:0] out_wgt_off_o,
  output logic                   out_alu_o,
  output logic                   out_reset_o,
  output logic [2:0]             out_alu_op_o,
  output logic                   out_use_imm_o,
  output logic [AluImmWidth-1:0] out_imm_o,
  output logic                   out_last_o,
  output logic                   idle_o
);
  localparam int unsigned UBits = GemmUopEndWidth;
  localparam int unsigned IBits = GemmIterOutWidth;

  // Per-uop payload that travels with it (the kernel may change behind it).
  typedef struct packed {
    logic [LogAccDepth-1:0] dst;
    logic [SrcBits-1:0]     src;
    logic [LogWgtDepth-1:0] wgt;
    logic                   alu;
    logic                   reset;
    logic [2:0]             alu_op;
    logic                   use_imm;
    logic [AluImmWidth-1:0] imm;
    logic                   last;
  } meta_t;

  // Loop parameters of the active kernel.
  typedef struct packed {
    logic [UBits-1:0]       bgn;
    logic [UBits-1:0]       fin;
    logic [IBits-1:0]       iter_out;
    logic [IBits-1:0]       iter_in;
    logic [LogAccDepth-1:0] dst_fo;
    logic [LogAccDepth-1:0] dst_fi;
    logic [SrcBits-1:0]     src_fo;
    logic [SrcBits-1:0]     src_fi;
    logic [LogWgtDepth-1:0] wgt_fo;
    logic [LogWgtDepth-1:0] wgt_fi;
    logic                   alu;
    logic                   reset;
    logic [2:0]             alu_op;
    logic                   use_imm;
    logic [AluImmWidth-1:0] imm;
  } kern_t;

  logic                kq_valid, kq_pop;
  logic [InsnBits-1:0] kq_insn;
  logic [$clog2(KernelQueueDepth+1)-1:0] kq_count;

  vta_fifo #(
    .Width(InsnBits),
    .Depth(KernelQueueDepth)
  ) u_kernel_q (
    .clk_i,
    .rst_ni,
    .clr_i,
    .valid_i(kernel_valid_i),
    .ready_o(kernel_ready_o),
    .data_i (kernel_i),
    .valid_o(kq_valid),
    .ready_i(kq_pop),
    .data_o (kq_insn),
    .count_o(kq_count)
  );

  // Decode the queued instruction into loop parameters.
  gemm_insn_t g;
  alu_insn_t  a;
  kern_t      next;
  logic       next_empty;

  assign g = gemm_insn_t'(kq_insn);
  assign a = alu_insn_t'(kq_insn);

  always_comb begin
    next          = '0;
    next.bgn      = UBits'(g.uop_bgn);
    next.fin      = g.uop_end;
    next.iter_out = g.iter_out;
    next.iter_in  = g.iter_in;
    next.dst_fo   = g.dst_factor_out;
    next.dst_fi   = g.dst_factor_in;
    next.alu      = opcode_e'(g.opcode) == OpcodeAlu;
    if (next.alu) begin
      next.src_fo  = SrcBits'(a.src_factor_out);
      next.src_fi  = SrcBits'(a.src_factor_in);
      next.alu_op  = a.alu_opcode;
      next.use_imm = a.use_imm;
      next.imm     = a.imm;
    end else begin
      next.src_fo  = SrcBits'(g.src_factor_out);
      next.src_fi  = SrcBits'(g.src_factor_in);
      next.wgt_fo  = g.wgt_factor_out;
      next.wgt_fi  = g.wgt_factor_in;
      next.reset   = g.reset_reg;
    end
  end
  assign next_empty = next.iter_out == '0 || next.iter_in == '0 || next.bgn >= next.fin;

  kern_t k_q, k_d;
  logic active_q, active_d;
  logic [UBits-1:0] u_q, u_d;
  logic [IBits-1:0] x_q, x_d, y_q, y_d;
  // Running offsets: *_out = y * factor_out, *_cur = *_out + x * factor_in.
  logic [LogAccDepth-1:0] dst_out_q, dst_out_d, dst_cur_q, dst_cur_d;
  logic [SrcBits-1:0]     src_out_q, src_out_d, src_cur_q, src_cur_d;
  logic [LogWgtDepth-1:0] wgt_out_q, wgt_out_d, wgt_cur_q, wgt_cur_d;
  logic out_valid_q, out_valid_d;
  meta_t meta_q, meta_d;
  logic adv, issue, last_u, last_x, last_y, last;

  assign adv    = !out_valid_q || out_ready_i;
  assign issue  = active_q && adv;
  assign last_u = u_q + 1'b1 == k_q.fin;
  assign last_x = (IBits+1)'(x_q) + 1'b1 == (IBits+1)'(k_q.iter_in);
  assign last_y = (IBits+1)'(y_q) + 1'b1 == (IBits+1)'(k_q.iter_out);
  assign last   = last_u && last_x && last_y;
  assign kq_pop = kq_valid && (!active_q || (issue && last));

  assign uop_rd_en_o  = issue;
  assign uop_rd_idx_o = IdxBits'(u_q[LogUopDepth-1:0]);

  always_comb begin
    k_d         = k_q;
    active_d    = active_q;
    u_d         = u_q;
    x_d         = x_q;
    y_d         = y_q;
    dst_out_d   = dst_out_q;
    dst_cur_d   = dst_cur_q;
    src_out_d   = src_out_q;
    src_cur_d   = src_cur_q;
    wgt_out_d   = wgt_out_q;
    wgt_cur_d   = wgt_cur_q;
    out_valid_d = adv ? issue : out_valid_q;
    meta_d      = meta_q;
    if (issue) begin
      meta_d = '{dst: dst_cur_q, src: src_cur_q, wgt: wgt_cur_q, alu: k_q.alu, reset: k_q.reset,
                 alu_op: k_q.alu_op, use_imm: k_q.use_imm, imm: k_q.imm, last: last};
      u_d = u_q + 1'b1;
      if (last_u) begin
        u_d = k_q.bgn;
        if (!last_x) begin
          x_d       = x_q + 1'b1;
          dst_cur_d = dst_cur_q + k_q.dst_fi;
          src_cur_d = src_cur_q + k_q.src_fi;
          wgt_cur_d = wgt_cur_q + k_q.wgt_fi;
        end else begin
          x_d       = '0;
          y_d       = y_q + 1'b1;
          dst_out_d = dst_out_q + k_q.dst_fo;
          src_out_d = src_out_q + k_q.src_fo;
          wgt_out_d = wgt_out_q + k_q.wgt_fo;
          dst_cur_d = dst_out_d;
          src_cur_d = src_out_d;
          wgt_cur_d = wgt_out_d;
          if (last_y) active_d = 1'b0;
        end
      end
    end
    if (kq_pop && !next_empty) begin
      k_d       = next;
      active_d  = 1'b1;
      u_d       = next.bgn;
      x_d       = '0;
      y_d       = '0;
      dst_out_d = '0;
      dst_cur_d = '0;
      src_out_d = '0;
      src_cur_d = '0;
      wgt_out_d = '0;
      wgt_cur_d = '0;
    end
    if (clr_i) begin
      active_d    = 1'b0;
      out_valid_d = 1'b0;
    end
  end

  assign out_valid_o   = out_valid_q;
  assign out_uop_o     = uop_t'(uop_rd_data_i);
  assign out_dst_off_o = meta_q.dst;
  assign out_src_off_o = meta_q.src;
  assign out_wgt_off_o = meta_q.wgt;
  assign out_alu_o     = meta_q.alu;
  assign out_reset_o   = meta_q.reset;
  assign out_alu_op_o  = meta_q.alu_op;
  assign out_use_imm_o = meta_q.use_imm;
  assign out_imm_o     = meta_q.imm;
  assign out_last_o    = meta_q.last;
  assign idle_o        = !active_q && !kq_valid && !out_valid_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      k_q         <= '0;
      active_q    <= 1'b0;
      u_q         <= '0;
      x_q         <= '0;
      y_q         <= '0;
      dst_out_q   <= '0;
      dst_cur_q   <= '0;
      src_out_q   <= '0;
      src_cur_q   <= '0;
      wgt_out_q   <= '0;
      wgt_cur_q   <= '0;
      out_valid_q <= 1'b0;
      meta_q      <= '0;
    end else begin
      k_q         <= k_d;
      active_q    <= active_d;
      u_q         <= u_d;
      x_q         <= x_d;
      y_q         <= y_d;
      dst_out_q   <= dst_out_d;
      dst_cur_q   <= dst_cur_d;
      src_out_q   <= src_out_d;
      src_cur_q   <= src_cur_d;
      wgt_out_q   <= wgt_out_d;
      wgt_cur_q   <= wgt_cur_d;
      out_valid_q <= out_valid_d;
      meta_q      <= meta_d;
    end
  end

  logic unused_seq;
  assign unused_seq = ^{kq_count, g, a};
endmodule
