// Compute stage (upstream Compute): executes LOAD UOP, LOAD ACC, GEMM, ALU
// and FINISH in order with the l2g/s2g (pop) and g2l/g2s (push) tokens.
//
// GEMM and ALU instructions go through the shared micro-op sequencer; an
// instruction of the same kind as the one before it is dispatched while that
// one is still running, so kernels run back to back. Anything else (a change
// of unit, a load, FINISH) first waits for every unit to drain, and an
// instruction that pushes tokens pushes them once its writes have landed.
module vta_compute
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits   = MemSramBaseWidth,
  localparam int unsigned SrcBits   = UopSrcIdxWidth
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             clr_i,
  // command queue
  input  logic                             cmd_valid_i,
  output logic                             cmd_ready_o,
  input  logic [InsnBits-1:0]              cmd_insn_i,
  input  logic [31:0]                      cmd_idx_i,
  // tokens
  input  logic                             l2g_valid_i,
  output logic                             l2g_ready_o,
  input  logic                             s2g_valid_i,
  output logic                             s2g_ready_o,
  output logic                             g2l_valid_o,
  input  logic                             g2l_ready_i,
  output logic                             g2s_valid_o,
  input  logic                             g2s_ready_i,
  // memory read clients: [0] UOP, [1] ACC
  output logic [1:0]                       rd_req_valid_o,
  input  logic [1:0]                       rd_req_ready_i,
  output logic [1:0][AxiAddrWidth-1:0]     rd_req_addr_o,
  output logic [1:0][31:0]                 rd_req_beats_o,
  input  logic [1:0]                       rd_valid_i,
  output logic [1:0]                       rd_ready_o,
  input  logic [BusWidth-1:0]              rd_data_i,
  // UOP scratchpad
  output logic                             uop_wr_en_o,
  output logic [IdxBits-1:0]               uop_wr_idx_o,
  output logic [UopLanes-1:0]              uop_wr_lane_en_o,
  output logic [UopSlices-1:0]             uop_wr_slice_en_o,
  output logic [UopLanes*UopElemBits-1:0]  uop_wr_data_o,
  output logic                             uop_rd_en_o,
  output logic [IdxBits-1:0]               uop_rd_idx_o,
  input  logic [UopLanes*UopElemBits-1:0]  uop_rd_data_i,
  // ACC scratchpad
  output logic                             acc_wr_en_o,
  output logic [IdxBits-1:0]               acc_wr_idx_o,
  output logic [AccLanes-1:0]              acc_wr_lane_en_o,
  output logic [AccSlices-1:0]             acc_wr_slice_en_o,
  output logic [AccLanes*AccElemBits-1:0]  acc_wr_data_o,
  output logic                             acc_rd_en_o,
  output logic [IdxBits-1:0]               acc_rd_idx_o,
  input  logic [AccLanes*AccElemBits-1:0]  acc_rd_data_i,
  // OUT scratchpad write port
  output logic                             out_wr_en_o,
  output logic [IdxBits-1:0]               out_wr_idx_o,
  output logic [OutLanes-1:0]              out_wr_lane_en_o,
  output logic [OutSlices-1:0]             out_wr_slice_en_o,
  output logic [OutLanes*OutElemBits-1:0]  out_wr_data_o,
  // INP / WGT scratchpad read ports
  output logic                             inp_rd_en_o,
  output logic [IdxBits-1:0]               inp_rd_idx_o,
  input  logic [InpLanes*InpElemBits-1:0]  inp_rd_data_i,
  output logic                             wgt_rd_en_o,
  output logic [IdxBits-1:0]               wgt_rd_idx_o,
  input  logic [WgtLanes*WgtElemBits-1:0]  wgt_rd_data_i,
  // status and events
  output logic                             finish_o,
  output logic                             busy_o,
  output logic                             stall_o,
  output logic [31:0]                      cur_idx_o,
  output logic                             gemm_uop_o,
  output logic                             alu_uop_o,
  output logic                             acc_wr_o
);
  typedef enum logic [2:0] {KNop, KLoadUop, KLoadAcc, KGemm, KAlu, KFinish} kind_e;
  typedef enum logic [1:0] {SNone, SGemm, SAlu} stream_e;

  // ------------------------------------------------------------------ units
  logic uld_start, uld_ready, uld_done, uld_busy;
  logic ald_start, ald_ready, ald_done, ald_busy;
  logic ald_wr_en;
  logic [IdxBits-1:0] ald_wr_idx;
  logic [AccLanes-1:0] ald_wr_lane_en;
  logic [AccSlices-1:0] ald_wr_slice_en;
  logic [AccLanes*AccElemBits-1:0] ald_wr_data;

  vta_tensor_load #(
    .ElemBits    (UopElemBits),
    .LogElemBytes(LogUopElemBytes)
  ) u_uop_load (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i       (uld_start),
    .ready_o       (uld_ready),
    .insn_i        (cmd_insn_i),
    .done_o        (uld_done),
    .busy_o        (uld_busy),
    .rd_req_valid_o(rd_req_valid_o[0]),
    .rd_req_ready_i(rd_req_ready_i[0]),
    .rd_req_addr_o (rd_req_addr_o[0]),
    .rd_req_beats_o(rd_req_beats_o[0]),
    .rd_valid_i    (rd_valid_i[0]),
    .rd_ready_o    (rd_ready_o[0]),
    .rd_data_i,
    .wr_en_o       (uop_wr_en_o),
    .wr_idx_o      (uop_wr_idx_o),
    .wr_lane_en_o  (uop_wr_lane_en_o),
    .wr_slice_en_o (uop_wr_slice_en_o),
    .wr_data_o     (uop_wr_data_o)
  );

  vta_tensor_load #(
    .ElemBits    (AccElemBits),
    .LogElemBytes(LogAccElemBytes)
  ) u_acc_load (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i       (ald_start),
    .ready_o       (ald_ready),
    .insn_i        (cmd_insn_i),
    .done_o        (ald_done),
    .busy_o        (ald_busy),
    .rd_req_valid_o(rd_req_valid_o[1]),
    .rd_req_ready_i(rd_req_ready_i[1]),
    .rd_req_addr_o (rd_req_addr_o[1]),
    .rd_req_beats_o(rd_req_beats_o[1]),
    .rd_valid_i    (rd_valid_i[1]),
    .rd_ready_o    (rd_ready_o[1]),
    .rd_data_i,
    .wr_en_o       (ald_wr_en),
    .wr_idx_o      (ald_wr_idx),
    .wr_lane_en_o  (ald_wr_lane_en),
    .wr_slice_en_o (ald_wr_slice_en),
    .wr_data_o     (ald_wr_data)
  );

  logic kernel_valid, kernel_ready, seq_idle;
  logic seq_valid, seq_ready, seq_alu, seq_reset, seq_use_imm;
  uop_t seq_uop;
  logic [LogAccDepth-1:0] seq_dst_off;
  logic [SrcBits-1:0]     seq_src_off;
  logic [LogWgtDepth-1:0] seq_wgt_off;
  logic [2:0]             seq_alu_op;
  logic [AluImmWidth-1:0] seq_imm;

  vta_uop_seq u_seq (
    .clk_i,
    .rst_ni,
    .clr_i,
    .kernel_valid_i(kernel_valid),
    .kernel_ready_o(kernel_ready),
    .kernel_i      (cmd_insn_i),
    .uop_rd_en_o   (uop_rd_en_o),
    .uop_rd_idx_o  (uop_rd_idx_o),
    .uop_rd_data_i (uop_rd_data_i[UopBits-1:0]),
    .out_valid_o   (seq_valid),
    .out_ready_i   (seq_ready),
    .out_uop_o     (seq_uop),
    .out_dst_off_o (seq_dst_off),
    .out_src_off_o (seq_src_off),
    .out_wgt_off_o (seq_wgt_off),
    .out_alu_o     (seq_alu),
    .out_reset_o   (seq_reset),
    .out_alu_op_o  (seq_alu_op),
    .out_use_imm_o (seq_use_imm),
    .out_imm_o     (seq_imm),
    .idle_o        (seq_idle)
  );

  logic gemm_idle, gemm_acc_rd_en, gemm_acc_wr_en, gemm_out_wr_en, gemm_acc_wr;
  logic [IdxBits-1:0] gemm_acc_rd_idx, gemm_acc_wr_idx, gemm_out_wr_idx;
  logic [AccElemBits-1:0] gemm_acc_wr_data;
  logic [OutElemBits-1:0] gemm_out_wr_data;

  vta_gemm_core u_gemm (
    .clk_i,
    .rst_ni,
    .clr_i,
    .in_valid_i    (seq_valid && !seq_alu),
    .in_uop_i      (seq_uop),
    .in_dst_off_i  (seq_dst_off),
    .in_src_off_i  (seq_src_off),
    .in_wgt_off_i  (seq_wgt_off),
    .in_reset_i    (seq_reset),
    .inp_rd_en_o   (inp_rd_en_o),
    .inp_rd_idx_o  (inp_rd_idx_o),
    .inp_rd_data_i (inp_rd_data_i[InpElemBits-1:0]),
    .wgt_rd_en_o   (wgt_rd_en_o),
    .wgt_rd_idx_o  (wgt_rd_idx_o),
    .wgt_rd_data_i (wgt_rd_data_i[WgtElemBits-1:0]),
    .acc_rd_en_o   (gemm_acc_rd_en),
    .acc_rd_idx_o  (gemm_acc_rd_idx),
    .acc_rd_data_i (acc_rd_data_i[AccElemBits-1:0]),
    .acc_wr_en_o   (gemm_acc_wr_en),
    .acc_wr_idx_o  (gemm_acc_wr_idx),
    .acc_wr_data_o (gemm_acc_wr_data),
    .out_wr_en_o   (gemm_out_wr_en),
    .out_wr_idx_o  (gemm_out_wr_idx),
    .out_wr_data_o (gemm_out_wr_data),
    .idle_o        (gemm_idle),
    .uop_o         (gemm_uop_o),
    .acc_wr_o      (gemm_acc_wr)
  );

  logic alu_idle, alu_ready, alu_acc_rd_en, alu_acc_wr_en, alu_out_wr_en;
  logic [IdxBits-1:0] alu_acc_rd_idx, alu_acc_wr_idx, alu_out_wr_idx;
  logic [AccElemBits-1:0] alu_acc_wr_data;
  logic [OutElemBits-1:0] alu_out_wr_data;

  vta_tensor_alu u_alu (
    .clk_i,
    .rst_ni,
    .clr_i,
    .in_valid_i    (seq_valid && seq_alu),
    .in_ready_o    (alu_ready),
    .in_uop_i      (seq_uop),
    .in_dst_off_i  (seq_dst_off),
    .in_src_off_i  (seq_src_off),
    .in_alu_op_i   (seq_alu_op),
    .in_use_imm_i  (seq_use_imm),
    .in_imm_i      (seq_imm),
    .acc_rd_en_o   (alu_acc_rd_en),
    .acc_rd_idx_o  (alu_acc_rd_idx),
    .acc_rd_data_i (acc_rd_data_i[AccElemBits-1:0]),
    .acc_wr_en_o   (alu_acc_wr_en),
    .acc_wr_idx_o  (alu_acc_wr_idx),
    .acc_wr_data_o (alu_acc_wr_data),
    .out_wr_en_o   (alu_out_wr_en),
    .out_wr_idx_o  (alu_out_wr_idx),
    .out_wr_data_o (alu_out_wr_data),
    // every ACC write (LOAD ACC, GEMM and the ALU's own) invalidates a reused src at its index
    .acc_wr_snoop_en_i     (acc_wr_en_o),
    .acc_wr_snoop_idx_i    (acc_wr_idx_o),
    .acc_wr_snoop_lane_en_i(acc_wr_lane_en_o),
    .idle_o        (alu_idle),
    .uop_o         (alu_uop_o)
  );

  // The GEMM core never stalls; the ALU takes micro-ops at its own pace.
  assign seq_ready = seq_alu ? alu_ready : 1'b1;

  // ------------------------------------------------------------------ scratchpad port sharing
  // Units that share a port never overlap in time (see the dispatch rules below).
  always_comb begin
    acc_wr_en_o       = 1'b0;
    acc_wr_idx_o      = gemm_acc_wr_idx;
    acc_wr_lane_en_o  = AccLanes'(1);
    acc_wr_slice_en_o = '1;
    acc_wr_data_o     = (AccLanes*AccElemBits)'(gemm_acc_wr_data);
    if (ald_wr_en) begin
      acc_wr_en_o       = 1'b1;
      acc_wr_idx_o      = ald_wr_idx;
      acc_wr_lane_en_o  = ald_wr_lane_en;
      acc_wr_slice_en_o = ald_wr_slice_en;
      acc_wr_data_o     = ald_wr_data;
    end else if (alu_acc_wr_en) begin
      acc_wr_en_o   = 1'b1;
      acc_wr_idx_o  = alu_acc_wr_idx;
      acc_wr_data_o = (AccLanes*AccElemBits)'(alu_acc_wr_data);
    end else if (gemm_acc_wr_en) begin
      acc_wr_en_o = 1'b1;
    end
  end

  assign acc_rd_en_o       = alu_acc_rd_en || gemm_acc_rd_en;
  assign acc_rd_idx_o      = alu_acc_rd_en ? alu_acc_rd_idx : gemm_acc_rd_idx;
  assign out_wr_en_o       = alu_out_wr_en || gemm_out_wr_en;
  assign out_wr_idx_o      = alu_out_wr_en ? alu_out_wr_idx : gemm_out_wr_idx;
  assign out_wr_lane_en_o  = OutLanes'(1);
  assign out_wr_slice_en_o = '1;
  assign out_wr_data_o     = (OutLanes*OutElemBits)'(alu_out_wr_en ? alu_out_wr_data : gemm_out_wr_data);
  assign acc_wr_o          = gemm_acc_wr || alu_acc_wr_en;

  // ------------------------------------------------------------------ dispatch
  mem_insn_t cmd;
  kind_e     kind;
  stream_e   stream_q, stream_d;
  logic      pend_prev_q, pend_prev_d, pend_next_q, pend_next_d, fin_q, fin_d;
  logic [31:0] idx_q, idx_d;
  logic      idle_all, waiting, same_stream, drained, pops_ok, unit_ok, go, push_ok;

  assign cmd = mem_insn_t'(cmd_insn_i);

  always_comb begin
    unique case (opcode_e'(cmd.opcode))
      OpcodeGemm:   kind = KGemm;
      OpcodeAlu:    kind = KAlu;
      OpcodeFinish: kind = KFinish;
      OpcodeLoad: begin
        if (cmd.x_size == '0)                                kind = KNop;
        else if (mem_type_e'(cmd.memory_type) == MemTypeUop) kind = KLoadUop;
        else                                                 kind = KLoadAcc;
      end
      default:      kind = KNop;
    endcase
  end

  assign idle_all    = seq_idle && gemm_idle && alu_idle && !uld_busy && !ald_busy;
  assign waiting     = pend_prev_q || pend_next_q || fin_q;
  assign same_stream = (kind == KGemm && stream_q == SGemm) || (kind == KAlu && stream_q == SAlu);
  assign drained     = same_stream || idle_all;
  assign pops_ok     = (!cmd.pop_prev_dep || l2g_valid_i) && (!cmd.pop_next_dep || s2g_valid_i);
  always_comb begin
    unique case (kind)
      KGemm, KAlu: unit_ok = kernel_ready;
      KLoadUop:    unit_ok = uld_ready;
      KLoadAcc:    unit_ok = ald_ready;
      default:     unit_ok = 1'b1;
    endcase
  end
  assign go = cmd_valid_i && !waiting && drained && pops_ok && unit_ok;

  assign cmd_ready_o  = go;
  assign l2g_ready_o  = go && cmd.pop_prev_dep;
  assign s2g_ready_o  = go && cmd.pop_next_dep;
  assign kernel_valid = go && (kind == KGemm || kind == KAlu);
  assign uld_start    = go && kind == KLoadUop;
  assign ald_start    = go && kind == KLoadAcc;

  // Pushes wait for every unit to drain; both are taken in the same cycle.
  assign push_ok     = idle_all && (!pend_prev_q || g2l_ready_i) && (!pend_next_q || g2s_ready_i);
  assign g2l_valid_o = pend_prev_q && push_ok;
  assign g2s_valid_o = pend_next_q && push_ok;
  assign finish_o    = fin_q && push_ok;

  always_comb begin
    stream_d    = stream_q;
    pend_prev_d = pend_prev_q;
    pend_next_d = pend_next_q;
    fin_d       = fin_q;
    idx_d       = idx_q;
    if (waiting && push_ok) begin
      pend_prev_d = 1'b0;
      pend_next_d = 1'b0;
      fin_d       = 1'b0;
    end
    if (go) begin
      idx_d       = cmd_idx_i;
      pend_prev_d = cmd.push_prev_dep;
      pend_next_d = cmd.push_next_dep;
      fin_d       = kind == KFinish;
      unique case (kind)
        KGemm:   stream_d = SGemm;
        KAlu:    stream_d = SAlu;
        default: stream_d = SNone;
      endcase
    end
    if (clr_i) begin
      stream_d    = SNone;
      pend_prev_d = 1'b0;
      pend_next_d = 1'b0;
      fin_d       = 1'b0;
    end
  end

  assign busy_o    = !idle_all || waiting;
  assign stall_o   = (cmd_valid_i && !waiting && drained && !pops_ok) || (waiting && idle_all && !push_ok);
  assign cur_idx_o = idx_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      stream_q    <= SNone;
      pend_prev_q <= 1'b0;
      pend_next_q <= 1'b0;
      fin_q       <= 1'b0;
      idx_q       <= '0;
    end else begin
      stream_q    <= stream_d;
      pend_prev_q <= pend_prev_d;
      pend_next_q <= pend_next_d;
      fin_q       <= fin_d;
      idx_q       <= idx_d;
    end
  end

  logic unused_compute;
  assign unused_compute = ^{uld_done, ald_done, cmd, uop_rd_data_i, acc_rd_data_i, inp_rd_data_i,
                            wgt_rd_data_i};
endmodule
