// Compute stage (upstream Compute): executes LOAD UOP, LOAD ACC, GEMM, ALU
// and FINISH with the l2g/s2g (pop) and g2l/g2s (push) tokens, with the
// result of running them one after another in program order.
//
// Dual issue: the GEMM core and the tensor ALU each have a micro-op
// sequencer and run their own instructions in order, back to back; the two
// units overlap when they work in different halves (banks) of ACC/OUT:
//   * a GEMM/ALU instruction is dispatched (in program order; tokens are
//     popped then) once vta_footprint has its bank set, and, while the other
//     unit still has instructions in flight, only if its banks are disjoint
//     from the banks of those instructions (else it waits for them);
//   * an instruction's pushes wait until it and every older instruction have
//     retired (their last writes landed); up to PushQueueDepth such pushes
//     per unit wait while both units go on (vta_push_queue);
//   * LOAD UOP, LOAD ACC, NOP loads, empty GEMM/ALU and FINISH wait for both
//     units to drain and for every pending push, as before.
// ACC and OUT are two-port scratchpads split in halves by the index's top
// bit (port 0: GEMM and LOAD ACC, port 1: ALU), so the overlap needs no
// arbitration. Upstream programs keep their meaning (ISA unchanged); the
// compiler places its two virtual threads in different banks to use it.
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
  // UOP scratchpad: one write port (to every copy), read ports [0] GEMM sequencer,
  // [1] ALU sequencer, [2] footprint scan (one copy of the buffer each)
  output logic                             uop_wr_en_o,
  output logic [IdxBits-1:0]               uop_wr_idx_o,
  output logic [UopLanes-1:0]              uop_wr_lane_en_o,
  output logic [UopSlices-1:0]             uop_wr_slice_en_o,
  output logic [UopLanes*UopElemBits-1:0]  uop_wr_data_o,
  output logic [2:0]                       uop_rd_en_o,
  output logic [2:0][IdxBits-1:0]          uop_rd_idx_o,
  input  logic [2:0][UopLanes*UopElemBits-1:0] uop_rd_data_i,
  // ACC scratchpad port 0 (LOAD ACC and GEMM)
  output logic                             acc_wr_en_o,
  output logic [IdxBits-1:0]               acc_wr_idx_o,
  output logic [AccLanes-1:0]              acc_wr_lane_en_o,
  output logic [AccSlices-1:0]             acc_wr_slice_en_o,
  output logic [AccLanes*AccElemBits-1:0]  acc_wr_data_o,
  output logic                             acc_rd_en_o,
  output logic [IdxBits-1:0]               acc_rd_idx_o,
  input  logic [AccLanes*AccElemBits-1:0]  acc_rd_data_i,
  // ACC scratchpad port 1 (ALU, one element)
  output logic                             acc_wr1_en_o,
  output logic [IdxBits-1:0]               acc_wr1_idx_o,
  output logic [AccElemBits-1:0]           acc_wr1_data_o,
  output logic                             acc_rd1_en_o,
  output logic [IdxBits-1:0]               acc_rd1_idx_o,
  input  logic [AccElemBits-1:0]           acc_rd1_data_i,
  // OUT scratchpad write ports: 0 GEMM, 1 ALU
  output logic                             out_wr_en_o,
  output logic [IdxBits-1:0]               out_wr_idx_o,
  output logic [OutLanes-1:0]              out_wr_lane_en_o,
  output logic [OutSlices-1:0]             out_wr_slice_en_o,
  output logic [OutLanes*OutElemBits-1:0]  out_wr_data_o,
  output logic                             out_wr1_en_o,
  output logic [IdxBits-1:0]               out_wr1_idx_o,
  output logic [OutElemBits-1:0]           out_wr1_data_o,
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
  output logic [1:0]                       acc_wr_o
);
  typedef enum logic [2:0] {KNop, KLoadUop, KLoadAcc, KGemm, KAlu, KFinish} kind_e;
  // Instructions in flight per unit: its kernel queue, the one in its sequencer and up to four
  // more whose last micro-ops are still in the unit's pipeline.
  localparam int unsigned InflightDepth = KernelQueueDepth + 6;
  localparam int unsigned CntBits = $clog2(InflightDepth + 1);
  localparam int unsigned PushQueueDepth = 4;  // pending pushes per unit

  // ------------------------------------------------------------------ loads into UOP / ACC
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

  // ------------------------------------------------------------------ GEMM unit
  logic g_kernel_valid, g_kernel_ready, g_seq_idle;
  logic g_seq_valid, g_seq_reset, g_seq_last;
  uop_t g_seq_uop;
  logic [LogAccDepth-1:0] g_seq_dst_off;
  logic [SrcBits-1:0]     g_seq_src_off;
  logic [LogWgtDepth-1:0] g_seq_wgt_off;
  logic                   unused_g_alu, unused_g_use_imm;
  logic [2:0]             unused_g_alu_op;
  logic [AluImmWidth-1:0] unused_g_imm;

  vta_uop_seq u_gemm_seq (
    .clk_i,
    .rst_ni,
    .clr_i,
    .kernel_valid_i(g_kernel_valid),
    .kernel_ready_o(g_kernel_ready),
    .kernel_i      (cmd_insn_i),
    .uop_rd_en_o   (uop_rd_en_o[0]),
    .uop_rd_idx_o  (uop_rd_idx_o[0]),
    .uop_rd_data_i (uop_rd_data_i[0][UopBits-1:0]),
    .out_valid_o   (g_seq_valid),
    .out_ready_i   (1'b1),  // the GEMM core never stalls
    .out_uop_o     (g_seq_uop),
    .out_dst_off_o (g_seq_dst_off),
    .out_src_off_o (g_seq_src_off),
    .out_wgt_off_o (g_seq_wgt_off),
    .out_alu_o     (unused_g_alu),
    .out_reset_o   (g_seq_reset),
    .out_alu_op_o  (unused_g_alu_op),
    .out_use_imm_o (unused_g_use_imm),
    .out_imm_o     (unused_g_imm),
    .out_last_o    (g_seq_last),
    .idle_o        (g_seq_idle)
  );

  logic gemm_idle, gemm_acc_wr_en, gemm_acc_wr, gemm_retire;
  logic [IdxBits-1:0] gemm_acc_wr_idx;
  logic [AccElemBits-1:0] gemm_acc_wr_data;

  vta_gemm_core u_gemm (
    .clk_i,
    .rst_ni,
    .clr_i,
    .in_valid_i    (g_seq_valid),
    .in_uop_i      (g_seq_uop),
    .in_dst_off_i  (g_seq_dst_off),
    .in_src_off_i  (g_seq_src_off),
    .in_wgt_off_i  (g_seq_wgt_off),
    .in_reset_i    (g_seq_reset),
    .in_last_i     (g_seq_last),
    .inp_rd_en_o   (inp_rd_en_o),
    .inp_rd_idx_o  (inp_rd_idx_o),
    .inp_rd_data_i (inp_rd_data_i[InpElemBits-1:0]),
    .wgt_rd_en_o   (wgt_rd_en_o),
    .wgt_rd_idx_o  (wgt_rd_idx_o),
    .wgt_rd_data_i (wgt_rd_data_i[WgtElemBits-1:0]),
    .acc_rd_en_o   (acc_rd_en_o),
    .acc_rd_idx_o  (acc_rd_idx_o),
    .acc_rd_data_i (acc_rd_data_i[AccElemBits-1:0]),
    .acc_wr_en_o   (gemm_acc_wr_en),
    .acc_wr_idx_o  (gemm_acc_wr_idx),
    .acc_wr_data_o (gemm_acc_wr_data),
    .out_wr_en_o   (out_wr_en_o),
    .out_wr_idx_o  (out_wr_idx_o),
    .out_wr_data_o (out_wr_data_o[OutElemBits-1:0]),
    .idle_o        (gemm_idle),
    .uop_o         (gemm_uop_o),
    .acc_wr_o      (gemm_acc_wr),
    .retire_o      (gemm_retire)
  );
  if (OutLanes > 1) begin : g_out_pad
    assign out_wr_data_o[OutLanes*OutElemBits-1:OutElemBits] = '0;
  end

  // ------------------------------------------------------------------ ALU unit
  logic a_kernel_valid, a_kernel_ready, a_seq_idle;
  logic a_seq_valid, a_seq_ready, a_seq_use_imm, a_seq_last;
  uop_t a_seq_uop;
  logic [LogAccDepth-1:0] a_seq_dst_off;
  logic [SrcBits-1:0]     a_seq_src_off;
  logic [2:0]             a_seq_alu_op;
  logic [AluImmWidth-1:0] a_seq_imm;
  logic [LogWgtDepth-1:0] unused_a_wgt_off;
  logic                   unused_a_alu, unused_a_reset;

  vta_uop_seq u_alu_seq (
    .clk_i,
    .rst_ni,
    .clr_i,
    .kernel_valid_i(a_kernel_valid),
    .kernel_ready_o(a_kernel_ready),
    .kernel_i      (cmd_insn_i),
    .uop_rd_en_o   (uop_rd_en_o[1]),
    .uop_rd_idx_o  (uop_rd_idx_o[1]),
    .uop_rd_data_i (uop_rd_data_i[1][UopBits-1:0]),
    .out_valid_o   (a_seq_valid),
    .out_ready_i   (a_seq_ready),
    .out_uop_o     (a_seq_uop),
    .out_dst_off_o (a_seq_dst_off),
    .out_src_off_o (a_seq_src_off),
    .out_wgt_off_o (unused_a_wgt_off),
    .out_alu_o     (unused_a_alu),
    .out_reset_o   (unused_a_reset),
    .out_alu_op_o  (a_seq_alu_op),
    .out_use_imm_o (a_seq_use_imm),
    .out_imm_o     (a_seq_imm),
    .out_last_o    (a_seq_last),
    .idle_o        (a_seq_idle)
  );

  logic alu_idle, alu_retire;
  logic [OutElemBits-1:0] alu_out_wr_data;

  vta_tensor_alu u_alu (
    .clk_i,
    .rst_ni,
    .clr_i,
    .in_valid_i    (a_seq_valid),
    .in_ready_o    (a_seq_ready),
    .in_uop_i      (a_seq_uop),
    .in_dst_off_i  (a_seq_dst_off),
    .in_src_off_i  (a_seq_src_off),
    .in_alu_op_i   (a_seq_alu_op),
    .in_use_imm_i  (a_seq_use_imm),
    .in_imm_i      (a_seq_imm),
    .in_last_i     (a_seq_last),
    .acc_rd_en_o   (acc_rd1_en_o),
    .acc_rd_idx_o  (acc_rd1_idx_o),
    .acc_rd_data_i (acc_rd1_data_i),
    .acc_wr_en_o   (acc_wr1_en_o),
    .acc_wr_idx_o  (acc_wr1_idx_o),
    .acc_wr_data_o (acc_wr1_data_o),
    .out_wr_en_o   (out_wr1_en_o),
    .out_wr_idx_o  (out_wr1_idx_o),
    .out_wr_data_o (alu_out_wr_data),
    // the other writers of ACC (LOAD ACC, GEMM) invalidate a reused src at their index
    .acc_wr_snoop_en_i     (acc_wr_en_o),
    .acc_wr_snoop_idx_i    (acc_wr_idx_o),
    .acc_wr_snoop_lane_en_i(acc_wr_lane_en_o),
    .idle_o        (alu_idle),
    .uop_o         (alu_uop_o),
    .retire_o      (alu_retire)
  );
  assign out_wr1_data_o = alu_out_wr_data;

  // ACC port 0: LOAD ACC (only while both units are drained) or the GEMM core.
  always_comb begin
    acc_wr_en_o       = gemm_acc_wr_en;
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
    end
  end
  assign out_wr_lane_en_o  = OutLanes'(1);
  assign out_wr_slice_en_o = '1;
  assign acc_wr_o          = 2'(gemm_acc_wr) + 2'(acc_wr1_en_o);

  // ------------------------------------------------------------------ bank footprint of the head
  mem_insn_t cmd;
  kind_e     kind;
  logic      kernel_empty, is_kernel, fp_done;
  logic [1:0] fp_banks;

  assign cmd = mem_insn_t'(cmd_insn_i);

  always_comb begin
    unique case (opcode_e'(cmd.opcode))
      OpcodeGemm:   kind = kernel_empty ? KNop : KGemm;
      OpcodeAlu:    kind = kernel_empty ? KNop : KAlu;
      OpcodeFinish: kind = KFinish;
      OpcodeLoad: begin
        if (cmd.x_size == '0)                                kind = KNop;
        else if (mem_type_e'(cmd.memory_type) == MemTypeUop) kind = KLoadUop;
        else                                                 kind = KLoadAcc;
      end
      default:      kind = KNop;
    endcase
  end
  assign is_kernel = kind == KGemm || kind == KAlu;

  vta_footprint u_footprint (
    .clk_i,
    .rst_ni,
    .clr_i,
    .valid_i      (cmd_valid_i && is_kernel && !uld_busy),
    .insn_i       (cmd_insn_i),
    .key_i        (cmd_idx_i),
    .uop_rd_en_o  (uop_rd_en_o[2]),
    .uop_rd_idx_o (uop_rd_idx_o[2]),
    .uop_rd_data_i(uop_rd_data_i[2]),
    .empty_o      (kernel_empty),  // an empty GEMM/ALU runs as a NOP (it only pops and pushes)
    .done_o       (fp_done),
    .banks_o      (fp_banks)
  );

  // ------------------------------------------------------------------ dispatch
  // Per unit: instructions in flight (dispatched, not retired) with their banks (vta_inflight)
  // and its pending pushes (vta_push_queue).
  logic [CntBits-1:0] g_cnt, a_cnt;
  logic [1:0]         g_banks, a_banks;
  logic               g_if_full, a_if_full;
  // LOAD / NOP / FINISH pushes (and finish), as in a single-unit stage
  logic [1:0]         m_push_q, m_push_d;
  logic               fin_q, fin_d;
  logic [31:0]        idx_q, idx_d;

  logic idle_all, pend_any, pops_ok, fits, go, pushes;
  logic g_pq_full, g_pq_empty, a_pq_full, a_pq_empty, g_pq_pop, a_pq_pop;
  logic [1:0] g_pq_head, a_pq_head, sel_push;
  logic push_fire, m_pushing;

  assign idle_all = g_seq_idle && gemm_idle && a_seq_idle && alu_idle && !uld_busy && !ald_busy;
  assign pend_any = !g_pq_empty || !a_pq_empty || m_push_q != '0 || fin_q;
  assign pops_ok  = (!cmd.pop_prev_dep || l2g_valid_i) && (!cmd.pop_next_dep || s2g_valid_i);
  assign pushes   = cmd.push_prev_dep || cmd.push_next_dep;

  // Whether the head may start now on its unit (not counting tokens). A GEMM/ALU also waits for
  // a LOAD UOP / LOAD ACC before it to finish.
  always_comb begin
    unique case (kind)
      KGemm: fits = g_kernel_ready && !g_if_full && !uld_busy && !ald_busy && !g_pq_full && m_push_q == '0
                 && !fin_q && fp_done && (fp_banks & a_banks) == '0;
      KAlu:  fits = a_kernel_ready && !a_if_full && !uld_busy && !ald_busy && !a_pq_full && m_push_q == '0
                 && !fin_q && fp_done && (fp_banks & g_banks) == '0;
      KLoadUop: fits = uld_ready && idle_all && !pend_any;
      KLoadAcc: fits = ald_ready && idle_all && !pend_any;
      default:  fits = idle_all && !pend_any;
    endcase
  end
  assign go = cmd_valid_i && fits && pops_ok;

  assign cmd_ready_o    = go;
  assign l2g_ready_o    = go && cmd.pop_prev_dep;
  assign s2g_ready_o    = go && cmd.pop_next_dep;
  assign g_kernel_valid = go && kind == KGemm;
  assign a_kernel_valid = go && kind == KAlu;
  assign uld_start      = go && kind == KLoadUop;
  assign ald_start      = go && kind == KLoadAcc;

  vta_inflight #(.Depth(InflightDepth), .CntBits(CntBits)) u_gemm_inflight (
    .clk_i,
    .rst_ni,
    .clr_i,
    .add_i   (g_kernel_valid),
    .banks_i (fp_banks),
    .retire_i(gemm_retire),
    .full_o  (g_if_full),
    .count_o (g_cnt),
    .banks_o (g_banks)
  );
  vta_inflight #(.Depth(InflightDepth), .CntBits(CntBits)) u_alu_inflight (
    .clk_i,
    .rst_ni,
    .clr_i,
    .add_i   (a_kernel_valid),
    .banks_i (fp_banks),
    .retire_i(alu_retire),
    .full_o  (a_if_full),
    .count_o (a_cnt),
    .banks_o (a_banks)
  );

  // Counts of a new record are those after this clock's retirements (and this dispatch).
  vta_push_queue #(.Depth(PushQueueDepth), .CntBits(CntBits)) u_gemm_pushes (
    .clk_i,
    .rst_ni,
    .clr_i,
    .add_i         (g_kernel_valid && pushes),
    .flags_i       ({cmd.push_next_dep, cmd.push_prev_dep}),
    .own_i         (g_cnt - CntBits'(gemm_retire) + 1'b1),
    .older_i       (a_cnt - CntBits'(alu_retire)),
    .full_o        (g_pq_full),
    .empty_o       (g_pq_empty),
    .own_retire_i  (gemm_retire),
    .other_retire_i(alu_retire),
    .head_o        (g_pq_head),
    .pop_i         (g_pq_pop)
  );
  vta_push_queue #(.Depth(PushQueueDepth), .CntBits(CntBits)) u_alu_pushes (
    .clk_i,
    .rst_ni,
    .clr_i,
    .add_i         (a_kernel_valid && pushes),
    .flags_i       ({cmd.push_next_dep, cmd.push_prev_dep}),
    .own_i         (a_cnt - CntBits'(alu_retire) + 1'b1),
    .older_i       (g_cnt - CntBits'(gemm_retire)),
    .full_o        (a_pq_full),
    .empty_o       (a_pq_empty),
    .own_retire_i  (alu_retire),
    .other_retire_i(gemm_retire),
    .head_o        (a_pq_head),
    .pop_i         (a_pq_pop)
  );

  // One record pushes per clock (GEMM's, then the ALU's, then a LOAD / NOP's once both units are
  // drained), taking both of its tokens together.
  assign sel_push  = g_pq_head != '0 ? g_pq_head
                   : a_pq_head != '0 ? a_pq_head
                   : (m_push_q != '0 && idle_all) ? m_push_q : 2'b00;
  assign push_fire = sel_push != '0 && (!sel_push[0] || g2l_ready_i) && (!sel_push[1] || g2s_ready_i);
  assign g_pq_pop  = push_fire && g_pq_head != '0;
  assign a_pq_pop  = push_fire && g_pq_head == '0 && a_pq_head != '0;
  assign m_pushing = push_fire && g_pq_head == '0 && a_pq_head == '0;
  assign g2l_valid_o = push_fire && sel_push[0];
  assign g2s_valid_o = push_fire && sel_push[1];
  assign finish_o    = fin_q && idle_all && g_pq_empty && a_pq_empty && m_push_q == '0;

  always_comb begin
    m_push_d = m_pushing ? 2'b00 : m_push_q;
    fin_d    = finish_o ? 1'b0 : fin_q;
    idx_d    = idx_q;
    if (go) begin
      idx_d = cmd_idx_i;
      if (!(kind == KGemm || kind == KAlu)) begin
        m_push_d = {cmd.push_next_dep, cmd.push_prev_dep};
        fin_d    = kind == KFinish;
      end
    end
    if (clr_i) begin
      m_push_d = '0;
      fin_d    = 1'b0;
    end
  end

  assign busy_o    = !idle_all || pend_any;
  assign stall_o   = (cmd_valid_i && fits && !pops_ok) || (sel_push != '0 && !push_fire);
  assign cur_idx_o = idx_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_push_q  <= '0;
      fin_q     <= 1'b0;
      idx_q     <= '0;
    end else begin
      m_push_q  <= m_push_d;
      fin_q     <= fin_d;
      idx_q     <= idx_d;
    end
  end

  logic unused_compute;
  assign unused_compute = ^{uld_done, ald_done, cmd, inp_rd_data_i, wgt_rd_data_i, acc_rd_data_i,
                            unused_g_alu, unused_g_use_imm, unused_g_alu_op, unused_g_imm, unused_a_wgt_off,
                            unused_a_alu, unused_a_reset, g_seq_src_off};
endmodule
