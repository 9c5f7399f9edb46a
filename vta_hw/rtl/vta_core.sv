// The accelerator core (upstream Core): fetch, the three command queues, the
// load / compute / store stages, the four dependency-token counters, the
// on-chip buffers and the event counters, plus the run control:
//
//   launch -> clear queues, tokens and units -> fetch ... -> FINISH -> finish
//   error  -> clear the units, drain the memory engine -> finish with error
module vta_core
  import vta_pkg::*;
#(
  localparam int unsigned NumRd     = 5,
  localparam int unsigned IdxBits   = MemSramBaseWidth,
  localparam int unsigned QBits     = InsnBits + 32
) (
  input  logic                                   clk_i,
  input  logic                                   rst_ni,
  // run control (from/to vta_regs)
  input  logic                                   launch_i,
  input  logic [31:0]                            insn_count_i,
  input  logic [AxiAddrWidth-1:0]                insn_addr_i,
  output logic                                   busy_o,
  output logic                                   finish_o,
  output logic                                   err_o,
  output logic [ErrCodeBits-1:0]                 err_code_o,
  output logic [31:0]                            err_insn_o,
  output logic [NumCounters-1:0][CounterBits-1:0] counters_o,
  // memory engine clients: reads [0] fetch [1] uop [2] inp [3] wgt [4] acc; one writer (store)
  output logic                                   mem_abort_o,
  input  logic                                   mem_idle_i,
  input  logic                                   mem_err_i,
  input  logic [$clog2(NumRd):0]                 mem_err_client_i,
  input  logic                                   mem_rd_beat_i,
  input  logic                                   mem_wr_beat_i,
  output logic [NumRd-1:0]                       rd_req_valid_o,
  input  logic [NumRd-1:0]                       rd_req_ready_i,
  output logic [NumRd-1:0][AxiAddrWidth-1:0]     rd_req_addr_o,
  output logic [NumRd-1:0][31:0]                 rd_req_beats_o,
  input  logic [NumRd-1:0]                       rd_valid_i,
  output logic [NumRd-1:0]                       rd_ready_o,
  input  logic [BusWidth-1:0]                    rd_data_i,
  output logic                                   wr_req_valid_o,
  input  logic                                   wr_req_ready_i,
  output logic [AxiAddrWidth-1:0]                wr_req_addr_o,
  output logic [31:0]                            wr_req_beats_o,
  output logic                                   wr_valid_o,
  input  logic                                   wr_ready_i,
  output logic [BusWidth-1:0]                    wr_data_o,
  output logic [BusWidth/8-1:0]                  wr_strb_o,
  input  logic                                   mem_wr_idle_i
);
  // ------------------------------------------------------------------ run control
  typedef enum logic [1:0] {RsIdle, RsClear, RsRun, RsAbort} run_e;

  run_e run_q, run_d;
  logic start_q, start_d, clr;
  logic fetch_err, compute_finish;
  logic [ErrCodeBits-1:0] fetch_err_code;
  logic [31:0] fetch_idx, load_idx, compute_idx, store_idx;

  assign clr         = run_q == RsClear || run_q == RsAbort;
  assign mem_abort_o = run_q == RsAbort;
  assign busy_o      = run_q != RsIdle;

  always_comb begin
    run_d      = run_q;
    start_d    = 1'b0;
    finish_o   = 1'b0;
    err_o      = 1'b0;
    err_code_o = fetch_err_code;
    err_insn_o = fetch_idx;
    unique case (run_q)
      RsIdle:  if (launch_i) run_d = RsClear;
      RsClear: begin
        run_d   = RsRun;
        start_d = 1'b1;
      end
      RsRun: begin
        if (fetch_err || mem_err_i) begin
          err_o = 1'b1;
          run_d = RsAbort;
          if (!fetch_err) begin
            err_code_o = ErrAxiErrorResponse;
            unique case (int'(mem_err_client_i))
              1, 4:    err_insn_o = compute_idx;
              2, 3:    err_insn_o = load_idx;
              NumRd:   err_insn_o = store_idx;
              default: err_insn_o = fetch_idx;
            endcase
          end
        end else if (compute_finish) begin
          finish_o = 1'b1;
          run_d    = RsIdle;
        end
      end
      RsAbort: begin
        if (mem_idle_i) begin
          finish_o = 1'b1;
          run_d    = RsIdle;
        end
      end
      default: run_d = RsIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q   <= RsIdle;
      start_q <= 1'b0;
    end else begin
      run_q   <= run_d;
      start_q <= start_d;
    end
  end

  // ------------------------------------------------------------------ fetch and command queues
  logic [InsnBits-1:0] f_insn;
  logic [31:0]         f_idx;
  logic f_ld_valid, f_ld_ready, f_co_valid, f_co_ready, f_st_valid, f_st_ready, fetch_busy;
  logic ld_valid, ld_ready, co_valid, co_ready, st_valid, st_ready;
  logic [QBits-1:0] ld_q, co_q, st_q;
  logic [$clog2(CmdQueueDepth+1)-1:0] unused_ld_count, unused_co_count, unused_st_count;

  vta_fetch u_fetch (
    .clk_i,
    .rst_ni,
    .clr_i         (clr),
    .start_i       (start_q),
    .insn_count_i,
    .insn_addr_i,
    .rd_req_valid_o(rd_req_valid_o[0]),
    .rd_req_ready_i(rd_req_ready_i[0]),
    .rd_req_addr_o (rd_req_addr_o[0]),
    .rd_req_beats_o(rd_req_beats_o[0]),
    .rd_valid_i    (rd_valid_i[0]),
    .rd_ready_o    (rd_ready_o[0]),
    .rd_data_i,
    .insn_o        (f_insn),
    .idx_o         (f_idx),
    .ld_valid_o    (f_ld_valid),
    .ld_ready_i    (f_ld_ready),
    .co_valid_o    (f_co_valid),
    .co_ready_i    (f_co_ready),
    .st_valid_o    (f_st_valid),
    .st_ready_i    (f_st_ready),
    .err_o         (fetch_err),
    .err_code_o    (fetch_err_code),
    .busy_o        (fetch_busy),
    .cur_idx_o     (fetch_idx)
  );

  vta_fifo #(.Width(QBits), .Depth(CmdQueueDepth)) u_load_q (
    .clk_i, .rst_ni, .clr_i(clr),
    .valid_i(f_ld_valid), .ready_o(f_ld_ready), .data_i({f_idx, f_insn}),
    .valid_o(ld_valid), .ready_i(ld_ready), .data_o(ld_q), .count_o(unused_ld_count)
  );
  vta_fifo #(.Width(QBits), .Depth(CmdQueueDepth)) u_compute_q (
    .clk_i, .rst_ni, .clr_i(clr),
    .valid_i(f_co_valid), .ready_o(f_co_ready), .data_i({f_idx, f_insn}),
    .valid_o(co_valid), .ready_i(co_ready), .data_o(co_q), .count_o(unused_co_count)
  );
  vta_fifo #(.Width(QBits), .Depth(CmdQueueDepth)) u_store_q (
    .clk_i, .rst_ni, .clr_i(clr),
    .valid_i(f_st_valid), .ready_o(f_st_ready), .data_i({f_idx, f_insn}),
    .valid_o(st_valid), .ready_i(st_ready), .data_o(st_q), .count_o(unused_st_count)
  );

  // ------------------------------------------------------------------ dependency tokens
  logic l2g_push_v, l2g_push_r, l2g_pop_v, l2g_pop_r;
  logic g2l_push_v, g2l_push_r, g2l_pop_v, g2l_pop_r;
  logic s2g_push_v, s2g_push_r, s2g_pop_v, s2g_pop_r;
  logic g2s_push_v, g2s_push_r, g2s_pop_v, g2s_pop_r;
  logic [DepCounterBits-1:0] unused_l2g_count, unused_g2l_count, unused_s2g_count, unused_g2s_count;

  vta_dep_counter u_l2g (
    .clk_i, .rst_ni, .clr_i(clr),
    .push_valid_i(l2g_push_v), .push_ready_o(l2g_push_r),
    .pop_valid_o(l2g_pop_v), .pop_ready_i(l2g_pop_r), .count_o(unused_l2g_count)
  );
  vta_dep_counter u_g2l (
    .clk_i, .rst_ni, .clr_i(clr),
    .push_valid_i(g2l_push_v), .push_ready_o(g2l_push_r),
    .pop_valid_o(g2l_pop_v), .pop_ready_i(g2l_pop_r), .count_o(unused_g2l_count)
  );
  vta_dep_counter u_s2g (
    .clk_i, .rst_ni, .clr_i(clr),
    .push_valid_i(s2g_push_v), .push_ready_o(s2g_push_r),
    .pop_valid_o(s2g_pop_v), .pop_ready_i(s2g_pop_r), .count_o(unused_s2g_count)
  );
  vta_dep_counter u_g2s (
    .clk_i, .rst_ni, .clr_i(clr),
    .push_valid_i(g2s_push_v), .push_ready_o(g2s_push_r),
    .pop_valid_o(g2s_pop_v), .pop_ready_i(g2s_pop_r), .count_o(unused_g2s_count)
  );

  // ------------------------------------------------------------------ on-chip buffers
  logic inp_wr_en, wgt_wr_en, acc_wr_en, out_wr_en, uop_wr_en;
  logic [IdxBits-1:0] inp_wr_idx, wgt_wr_idx, acc_wr_idx, out_wr_idx, uop_wr_idx;
  logic [InpLanes-1:0] inp_wr_lane;
  logic [WgtLanes-1:0] wgt_wr_lane;
  logic [AccLanes-1:0] acc_wr_lane;
  logic [OutLanes-1:0] out_wr_lane;
  logic [UopLanes-1:0] uop_wr_lane;
  logic [InpSlices-1:0] inp_wr_slice;
  logic [WgtSlices-1:0] wgt_wr_slice;
  logic [AccSlices-1:0] acc_wr_slice;
  logic [OutSlices-1:0] out_wr_slice;
  logic [UopSlices-1:0] uop_wr_slice;
  logic [InpLanes*InpElemBits-1:0] inp_wr_data, inp_rd_data;
  logic [WgtLanes*WgtElemBits-1:0] wgt_wr_data, wgt_rd_data;
  logic [AccLanes*AccElemBits-1:0] acc_wr_data, acc_rd_data;
  logic [OutLanes*OutElemBits-1:0] out_wr_data, out_rd_data;
  logic [UopLanes*UopElemBits-1:0] uop_wr_data;
  logic inp_rd_en, wgt_rd_en, acc_rd_en, out_rd_en;
  logic [IdxBits-1:0] inp_rd_idx, wgt_rd_idx, acc_rd_idx, out_rd_idx;
  // compute's second ACC/OUT port (tensor ALU) and its three UOP readers
  logic acc_wr1_en, acc_rd1_en, out_wr1_en;
  logic [IdxBits-1:0] acc_wr1_idx, acc_rd1_idx, out_wr1_idx;
  logic [AccElemBits-1:0] acc_wr1_data, acc_rd1_data;
  logic [OutElemBits-1:0] out_wr1_data, unused_out_rd1_data;
  logic unused_inp_rd1_data, unused_wgt_rd1_data;
  logic [2:0] unused_uop_rd1_data;
  logic [2:0] uop_rd_en;
  logic [2:0][IdxBits-1:0] uop_rd_idx;
  logic [2:0][UopLanes*UopElemBits-1:0] uop_rd_data;

  vta_scratchpad #(.ElemBits(InpElemBits), .LogDepth(LogInpDepth)) u_inp_buf (
    .clk_i,
    .wr_en_i(inp_wr_en), .wr_idx_i(inp_wr_idx), .wr_lane_en_i(inp_wr_lane), .wr_slice_en_i(inp_wr_slice),
    .wr_data_i(inp_wr_data), .rd_en_i(inp_rd_en), .rd_idx_i(inp_rd_idx), .rd_data_o(inp_rd_data),
    .wr1_en_i(1'b0), .wr1_idx_i('0), .wr1_data_i('0), .rd1_en_i(1'b0), .rd1_idx_i('0), .rd1_data_o(unused_inp_rd1_data)
  );
  vta_scratchpad #(.ElemBits(WgtElemBits), .LogDepth(LogWgtDepth)) u_wgt_buf (
    .clk_i,
    .wr_en_i(wgt_wr_en), .wr_idx_i(wgt_wr_idx), .wr_lane_en_i(wgt_wr_lane), .wr_slice_en_i(wgt_wr_slice),
    .wr_data_i(wgt_wr_data), .rd_en_i(wgt_rd_en), .rd_idx_i(wgt_rd_idx), .rd_data_o(wgt_rd_data),
    .wr1_en_i(1'b0), .wr1_idx_i('0), .wr1_data_i('0), .rd1_en_i(1'b0), .rd1_idx_i('0), .rd1_data_o(unused_wgt_rd1_data)
  );
  vta_scratchpad #(.ElemBits(AccElemBits), .LogDepth(LogAccDepth), .TwoPort(1'b1)) u_acc_buf (
    .clk_i,
    .wr_en_i(acc_wr_en), .wr_idx_i(acc_wr_idx), .wr_lane_en_i(acc_wr_lane), .wr_slice_en_i(acc_wr_slice),
    .wr_data_i(acc_wr_data), .rd_en_i(acc_rd_en), .rd_idx_i(acc_rd_idx), .rd_data_o(acc_rd_data),
    .wr1_en_i(acc_wr1_en), .wr1_idx_i(acc_wr1_idx), .wr1_data_i(acc_wr1_data),
    .rd1_en_i(acc_rd1_en), .rd1_idx_i(acc_rd1_idx), .rd1_data_o(acc_rd1_data)
  );
  vta_scratchpad #(.ElemBits(OutElemBits), .LogDepth(LogOutDepth), .TwoPort(1'b1)) u_out_buf (
    .clk_i,
    .wr_en_i(out_wr_en), .wr_idx_i(out_wr_idx), .wr_lane_en_i(out_wr_lane), .wr_slice_en_i(out_wr_slice),
    .wr_data_i(out_wr_data), .rd_en_i(out_rd_en), .rd_idx_i(out_rd_idx), .rd_data_o(out_rd_data),
    .wr1_en_i(out_wr1_en), .wr1_idx_i(out_wr1_idx), .wr1_data_i(out_wr1_data),
    .rd1_en_i(1'b0), .rd1_idx_i('0), .rd1_data_o(unused_out_rd1_data)
  );
  // One copy of the UOP buffer per reader (GEMM and ALU sequencers, footprint scan).
  for (genvar c = 0; c < 3; c++) begin : g_uop_buf
    vta_scratchpad #(.ElemBits(UopElemBits), .LogDepth(LogUopDepth)) u_uop_buf (
      .clk_i,
      .wr_en_i(uop_wr_en), .wr_idx_i(uop_wr_idx), .wr_lane_en_i(uop_wr_lane), .wr_slice_en_i(uop_wr_slice),
      .wr_data_i(uop_wr_data), .rd_en_i(uop_rd_en[c]), .rd_idx_i(uop_rd_idx[c]), .rd_data_o(uop_rd_data[c]),
      .wr1_en_i(1'b0), .wr1_idx_i('0), .wr1_data_i('0), .rd1_en_i(1'b0), .rd1_idx_i('0), .rd1_data_o(unused_uop_rd1_data[c])
    );
  end

  // ------------------------------------------------------------------ stages
  logic load_busy, load_stall, compute_busy, compute_stall, store_busy, store_stall;
  logic gemm_uop, alu_uop;
  logic [1:0] acc_wr;

  vta_load u_load (
    .clk_i,
    .rst_ni,
    .clr_i            (clr),
    .cmd_valid_i      (ld_valid),
    .cmd_ready_o      (ld_ready),
    .cmd_insn_i       (ld_q[InsnBits-1:0]),
    .cmd_idx_i        (ld_q[QBits-1:InsnBits]),
    .g2l_valid_i      (g2l_pop_v),
    .g2l_ready_o      (g2l_pop_r),
    .l2g_valid_o      (l2g_push_v),
    .l2g_ready_i      (l2g_push_r),
    .rd_req_valid_o   (rd_req_valid_o[3:2]),
    .rd_req_ready_i   (rd_req_ready_i[3:2]),
    .rd_req_addr_o    (rd_req_addr_o[3:2]),
    .rd_req_beats_o   (rd_req_beats_o[3:2]),
    .rd_valid_i       (rd_valid_i[3:2]),
    .rd_ready_o       (rd_ready_o[3:2]),
    .rd_data_i,
    .inp_wr_en_o      (inp_wr_en),
    .inp_wr_idx_o     (inp_wr_idx),
    .inp_wr_lane_en_o (inp_wr_lane),
    .inp_wr_slice_en_o(inp_wr_slice),
    .inp_wr_data_o    (inp_wr_data),
    .wgt_wr_en_o      (wgt_wr_en),
    .wgt_wr_idx_o     (wgt_wr_idx),
    .wgt_wr_lane_en_o (wgt_wr_lane),
    .wgt_wr_slice_en_o(wgt_wr_slice),
    .wgt_wr_data_o    (wgt_wr_data),
    .busy_o           (load_busy),
    .stall_o          (load_stall),
    .cur_idx_o        (load_idx)
  );

  vta_compute u_compute (
    .clk_i,
    .rst_ni,
    .clr_i            (clr),
    .cmd_valid_i      (co_valid),
    .cmd_ready_o      (co_ready),
    .cmd_insn_i       (co_q[InsnBits-1:0]),
    .cmd_idx_i        (co_q[QBits-1:InsnBits]),
    .l2g_valid_i      (l2g_pop_v),
    .l2g_ready_o      (l2g_pop_r),
    .s2g_valid_i      (s2g_pop_v),
    .s2g_ready_o      (s2g_pop_r),
    .g2l_valid_o      (g2l_push_v),
    .g2l_ready_i      (g2l_push_r),
    .g2s_valid_o      (g2s_push_v),
    .g2s_ready_i      (g2s_push_r),
    .rd_req_valid_o   ({rd_req_valid_o[4], rd_req_valid_o[1]}),
    .rd_req_ready_i   ({rd_req_ready_i[4], rd_req_ready_i[1]}),
    .rd_req_addr_o    ({rd_req_addr_o[4], rd_req_addr_o[1]}),
    .rd_req_beats_o   ({rd_req_beats_o[4], rd_req_beats_o[1]}),
    .rd_valid_i       ({rd_valid_i[4], rd_valid_i[1]}),
    .rd_ready_o       ({rd_ready_o[4], rd_ready_o[1]}),
    .rd_data_i,
    .uop_wr_en_o      (uop_wr_en),
    .uop_wr_idx_o     (uop_wr_idx),
    .uop_wr_lane_en_o (uop_wr_lane),
    .uop_wr_slice_en_o(uop_wr_slice),
    .uop_wr_data_o    (uop_wr_data),
    .uop_rd_en_o      (uop_rd_en),
    .uop_rd_idx_o     (uop_rd_idx),
    .uop_rd_data_i    (uop_rd_data),
    .acc_wr_en_o      (acc_wr_en),
    .acc_wr_idx_o     (acc_wr_idx),
    .acc_wr_lane_en_o (acc_wr_lane),
    .acc_wr_slice_en_o(acc_wr_slice),
    .acc_wr_data_o    (acc_wr_data),
    .acc_rd_en_o      (acc_rd_en),
    .acc_rd_idx_o     (acc_rd_idx),
    .acc_rd_data_i    (acc_rd_data),
    .acc_wr1_en_o     (acc_wr1_en),
    .acc_wr1_idx_o    (acc_wr1_idx),
    .acc_wr1_data_o   (acc_wr1_data),
    .acc_rd1_en_o     (acc_rd1_en),
    .acc_rd1_idx_o    (acc_rd1_idx),
    .acc_rd1_data_i   (acc_rd1_data),
    .out_wr_en_o      (out_wr_en),
    .out_wr_idx_o     (out_wr_idx),
    .out_wr_lane_en_o (out_wr_lane),
    .out_wr_slice_en_o(out_wr_slice),
    .out_wr_data_o    (out_wr_data),
    .out_wr1_en_o     (out_wr1_en),
    .out_wr1_idx_o    (out_wr1_idx),
    .out_wr1_data_o   (out_wr1_data),
    .inp_rd_en_o      (inp_rd_en),
    .inp_rd_idx_o     (inp_rd_idx),
    .inp_rd_data_i    (inp_rd_data),
    .wgt_rd_en_o      (wgt_rd_en),
    .wgt_rd_idx_o     (wgt_rd_idx),
    .wgt_rd_data_i    (wgt_rd_data),
    .finish_o         (compute_finish),
    .busy_o           (compute_busy),
    .stall_o          (compute_stall),
    .cur_idx_o        (compute_idx),
    .gemm_uop_o       (gemm_uop),
    .alu_uop_o        (alu_uop),
    .acc_wr_o         (acc_wr)
  );

  vta_store u_store (
    .clk_i,
    .rst_ni,
    .clr_i        (clr),
    .cmd_valid_i  (st_valid),
    .cmd_ready_o  (st_ready),
    .cmd_insn_i   (st_q[InsnBits-1:0]),
    .cmd_idx_i    (st_q[QBits-1:InsnBits]),
    .g2s_valid_i  (g2s_pop_v),
    .g2s_ready_o  (g2s_pop_r),
    .s2g_valid_o  (s2g_push_v),
    .s2g_ready_i  (s2g_push_r),
    .wr_req_valid_o,
    .wr_req_ready_i,
    .wr_req_addr_o,
    .wr_req_beats_o,
    .wr_valid_o,
    .wr_ready_i,
    .wr_data_o,
    .wr_strb_o,
    .mem_wr_idle_i,
    .out_rd_en_o  (out_rd_en),
    .out_rd_idx_o (out_rd_idx),
    .out_rd_data_i(out_rd_data),
    .busy_o       (store_busy),
    .stall_o      (store_stall),
    .cur_idx_o    (store_idx)
  );

  // ------------------------------------------------------------------ event counters
  logic [NumCounters-1:0][1:0] events;  // increments (two ACC writes per clock with dual issue)

  always_comb begin
    events                  = '0;
    events[CntCycles]       = 2'(busy_o);
    events[CntAccWrCount]   = acc_wr;
    events[CntGemmUops]     = 2'(gemm_uop);
    events[CntAluUops]      = 2'(alu_uop);
    events[CntFetchBusy]    = 2'(fetch_busy);
    events[CntLoadBusy]     = 2'(load_busy);
    events[CntLoadStall]    = 2'(load_stall);
    events[CntComputeBusy]  = 2'(compute_busy);
    events[CntComputeStall] = 2'(compute_stall);
    events[CntStoreBusy]    = 2'(store_busy);
    events[CntStoreStall]   = 2'(store_stall);
    events[CntMemRdBeats]   = 2'(mem_rd_beat_i);
    events[CntMemWrBeats]   = 2'(mem_wr_beat_i);
  end

  vta_event_counters u_counters (
    .clk_i,
    .rst_ni,
    .clr_i  (run_q == RsClear),
    .inc_i  (events),
    .count_o(counters_o)
  );
endmodule
