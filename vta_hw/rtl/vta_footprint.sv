// ACC/OUT bank footprint of a GEMM or ALU instruction, for the compute
// stage's dual issue (vta_compute): which halves of ACC (and OUT, whose
// depth is the same) the instruction can touch. The buffers are split by the
// index's top bit (vta_sram_2p); a GEMM touches its dst indices, an ALU its
// dst and, without an immediate, its src indices.
//
// The micro-ops [uop_bgn, uop_end) are read from a copy of the UOP buffer,
// UopLanes per clock, keeping the min and max index; the footprint is then
// [min, max + (iter_out-1)*factor_out + (iter_in-1)*factor_in]. A bound that
// reaches the depth (the index would wrap) counts as both banks. The scan
// restarts whenever the instruction (key_i) changes and holds while valid_i
// is low (the parent lowers it while a LOAD UOP may still write the buffer).
module vta_footprint
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits = MemSramBaseWidth,
  localparam int unsigned SrcBits = UopSrcIdxWidth
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            clr_i,
  // instruction at the head of the compute queue (a GEMM or ALU when valid_i)
  input  logic                            valid_i,
  input  logic [InsnBits-1:0]             insn_i,
  input  logic [31:0]                     key_i,
  // UOP buffer read port (all lanes)
  output logic                            uop_rd_en_o,
  output logic [IdxBits-1:0]              uop_rd_idx_o,
  input  logic [UopLanes*UopElemBits-1:0] uop_rd_data_i,
  // whether insn_i's nest is empty (iter 0 or uop_bgn >= uop_end: it touches nothing)
  output logic                            empty_o,
  // result for key_i
  output logic                            done_o,
  output logic [1:0]                      banks_o
);
  localparam int unsigned UBits    = GemmUopEndWidth;
  localparam int unsigned IBits    = GemmIterOutWidth;
  localparam int unsigned IdxW     = SrcBits > LogAccDepth ? SrcBits : LogAccDepth;
  localparam int unsigned SpanBits = IBits + IdxW + 2;  // max index plus two products iter x factor

  typedef enum logic [1:0] {StIdle, StScan, StDone} state_e;

  gemm_insn_t g;
  alu_insn_t  a;
  logic       is_alu, use_src, empty;
  assign g       = gemm_insn_t'(insn_i);
  assign a       = alu_insn_t'(insn_i);
  assign is_alu  = opcode_e'(g.opcode) == OpcodeAlu;
  assign use_src = is_alu && !a.use_imm;
  assign empty   = g.iter_out == '0 || g.iter_in == '0 || UBits'(g.uop_bgn) >= g.uop_end;

  state_e           st_q, st_d;
  logic [31:0]      key_q, key_d;
  logic [UBits-1:0] u_q, u_d, got_q, got_d;
  logic             pend_q, pend_d;
  logic [IdxW-1:0]  dmin_q, dmin_d, dmax_q, dmax_d, smin_q, smin_d, smax_q, smax_d;
  logic [1:0]       banks_q, banks_d;
  logic             start, last_rd;

  assign start   = valid_i && (st_q == StIdle || key_i != key_q);
  assign last_rd = (UBits+1)'(u_q) + (UBits+1)'(UopLanes) >= (UBits+1)'(g.uop_end);

  assign uop_rd_en_o  = st_q == StScan && !start && u_q < g.uop_end;
  assign uop_rd_idx_o = IdxBits'(u_q[LogUopDepth-1:0]);

  // Bank set of [lo, lo_max + (iter_out-1)*f_out + (iter_in-1)*f_in].
  function automatic logic [1:0] banks_of(logic [IdxW-1:0] lo, logic [IdxW-1:0] hi, logic [IBits-1:0] n_out,
                                          logic [IBits-1:0] n_in, logic [IdxW-1:0] f_out, logic [IdxW-1:0] f_in);
    logic [SpanBits-1:0] top;
    top = SpanBits'(hi) + SpanBits'(n_out) * SpanBits'(f_out) + SpanBits'(n_in) * SpanBits'(f_in);
    if (top >= SpanBits'(AccDepth)) return 2'b11;
    return {top >= SpanBits'(AccDepth / 2), SpanBits'(lo) < SpanBits'(AccDepth / 2)};
  endfunction

  uop_t [UopLanes-1:0] lane_uop;
  for (genvar k = 0; k < UopLanes; k++) begin : g_lane
    assign lane_uop[k] = uop_t'(uop_rd_data_i[k*UopElemBits +: UopBits]);
  end

  always_comb begin
    st_d    = st_q;
    key_d   = key_q;
    u_d     = u_q;
    got_d   = got_q;
    pend_d  = uop_rd_en_o;
    dmin_d  = dmin_q;
    dmax_d  = dmax_q;
    smin_d  = smin_q;
    smax_d  = smax_q;
    banks_d = banks_q;
    if (pend_q) begin
      // fold the micro-ops that came back (lanes past uop_end are ignored)
      for (int unsigned k = 0; k < UopLanes; k++) begin
        if ((UBits+1)'(got_q) + (UBits+1)'(k) < (UBits+1)'(g.uop_end)) begin
          if (IdxW'(lane_uop[k].dst_idx) < dmin_d) dmin_d = IdxW'(lane_uop[k].dst_idx);
          if (IdxW'(lane_uop[k].dst_idx) > dmax_d) dmax_d = IdxW'(lane_uop[k].dst_idx);
          if (IdxW'(lane_uop[k].src_idx) < smin_d) smin_d = IdxW'(lane_uop[k].src_idx);
          if (IdxW'(lane_uop[k].src_idx) > smax_d) smax_d = IdxW'(lane_uop[k].src_idx);
        end
      end
      got_d = got_q + UBits'(UopLanes);
    end
    if (st_q == StScan && !pend_q && !uop_rd_en_o) begin
      // every read has come back
      banks_d = banks_of(dmin_q, dmax_q, g.iter_out - 1'b1, g.iter_in - 1'b1, IdxW'(g.dst_factor_out),
                         IdxW'(g.dst_factor_in));
      if (use_src) begin
        banks_d = banks_d | banks_of(smin_q, smax_q, g.iter_out - 1'b1, g.iter_in - 1'b1,
                                     IdxW'(a.src_factor_out), IdxW'(a.src_factor_in));
      end
      st_d = StDone;
    end
    if (uop_rd_en_o) u_d = last_rd ? g.uop_end : u_q + UBits'(UopLanes);
    if (start) begin
      key_d   = key_i;
      u_d     = UBits'(g.uop_bgn);
      got_d   = UBits'(g.uop_bgn);
      pend_d  = 1'b0;
      dmin_d  = '1;
      dmax_d  = '0;
      smin_d  = '1;
      smax_d  = '0;
      banks_d = 2'b00;
      st_d    = empty ? StDone : StScan;
    end
    if (!valid_i || clr_i) begin
      st_d   = StIdle;
      pend_d = 1'b0;
    end
  end

  assign empty_o = empty;
  assign done_o  = st_q == StDone && !start;
  assign banks_o = banks_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q    <= StIdle;
      key_q   <= '0;
      u_q     <= '0;
      got_q   <= '0;
      pend_q  <= 1'b0;
      dmin_q  <= '0;
      dmax_q  <= '0;
      smin_q  <= '0;
      smax_q  <= '0;
      banks_q <= '0;
    end else begin
      st_q    <= st_d;
      key_q   <= key_d;
      u_q     <= u_d;
      got_q   <= got_d;
      pend_q  <= pend_d;
      dmin_q  <= dmin_d;
      dmax_q  <= dmax_d;
      smin_q  <= smin_d;
      smax_q  <= smax_d;
      banks_q <= banks_d;
    end
  end

  logic unused_fp;
  assign unused_fp = ^{g, a, lane_uop};
endmodule
