// Memory engine: the accelerator's only AXI4 master.
//
// Read clients (fetch, uop, inp, wgt, acc; upstream VME order) and the one
// write client (store) hand over transfers (bus-aligned address, beats).
// Each client's transfers are split into legal bursts by its own
// vta_burst_gen; a round-robin arbiter picks the next read burst, whose ARID
// is the client index, and read data is routed back by RID (clients accept
// data unconditionally or have reserved room for it). Write data flows only
// for bursts whose AW has been accepted; WLAST is generated here.
//
// `abort_i` drains the bus after an error: no new bursts start, outstanding
// read data is dropped, and the remaining beats of accepted write bursts are
// sent with all strobes low. `idle_o` reports that nothing is in flight.
module vta_mem_engine
  import vta_pkg::*;
#(
  parameter int unsigned NumRd = 5,
  localparam int unsigned RdIdxBits = NumRd > 1 ? $clog2(NumRd) : 1
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  input  logic                                 abort_i,
  // read clients
  input  logic [NumRd-1:0]                     rd_req_valid_i,
  output logic [NumRd-1:0]                     rd_req_ready_o,
  input  logic [NumRd-1:0][AxiAddrWidth-1:0]   rd_req_addr_i,
  input  logic [NumRd-1:0][31:0]               rd_req_beats_i,
  output logic [NumRd-1:0]                     rd_valid_o,
  input  logic [NumRd-1:0]                     rd_ready_i,
  output logic [BusWidth-1:0]                  rd_data_o,
  // write client
  input  logic                                 wr_req_valid_i,
  output logic                                 wr_req_ready_o,
  input  logic [AxiAddrWidth-1:0]              wr_req_addr_i,
  input  logic [31:0]                          wr_req_beats_i,
  input  logic                                 wr_valid_i,
  output logic                                 wr_ready_o,
  input  logic [BusWidth-1:0]                  wr_data_i,
  input  logic [BusWidth/8-1:0]                wr_strb_i,
  output logic                                 wr_idle_o,
  // status
  output logic                                 idle_o,
  output logic                                 err_o,
  output logic [RdIdxBits:0]                   err_client_o,  // NumRd: the write client
  output logic                                 rd_beat_o,
  output logic                                 wr_beat_o,
  // AXI4 master
  output logic [AxiIdWidth-1:0]                m_axi_arid,
  output logic [AxiAddrWidth-1:0]              m_axi_araddr,
  output logic [AxiLenWidth-1:0]               m_axi_arlen,
  output logic [2:0]                           m_axi_arsize,
  output logic [1:0]                           m_axi_arburst,
  output logic                                 m_axi_arvalid,
  input  logic                                 m_axi_arready,
  input  logic [AxiIdWidth-1:0]                m_axi_rid,
  input  logic [BusWidth-1:0]                  m_axi_rdata,
  input  logic [1:0]                           m_axi_rresp,
  input  logic                                 m_axi_rlast,
  input  logic                                 m_axi_rvalid,
  output logic                                 m_axi_rready,
  output logic [AxiIdWidth-1:0]                m_axi_awid,
  output logic [AxiAddrWidth-1:0]              m_axi_awaddr,
  output logic [AxiLenWidth-1:0]               m_axi_awlen,
  output logic [2:0]                           m_axi_awsize,
  output logic [1:0]                           m_axi_awburst,
  output logic                                 m_axi_awvalid,
  input  logic                                 m_axi_awready,
  output logic [BusWidth-1:0]                  m_axi_wdata,
  output logic [BusWidth/8-1:0]                m_axi_wstrb,
  output logic                                 m_axi_wlast,
  output logic                                 m_axi_wvalid,
  input  logic                                 m_axi_wready,
  input  logic [AxiIdWidth-1:0]                m_axi_bid,
  input  logic [1:0]                           m_axi_bresp,
  input  logic                                 m_axi_bvalid,
  output logic                                 m_axi_bready
);
  localparam int unsigned RdOutBits = $clog2(MaxRdOutstanding + 1);
  localparam int unsigned WrOutBits = $clog2(MaxWrOutstanding + 1);

  // ------------------------------------------------------------------ read side
  logic [NumRd-1:0]                   burst_valid, burst_ready, bg_idle;
  logic [NumRd-1:0][AxiAddrWidth-1:0] burst_addr;
  logic [NumRd-1:0][AxiLenWidth-1:0]  burst_len;
  logic [NumRd-1:0]                   gnt;
  logic [RdIdxBits-1:0]               gnt_idx;
  logic                               gnt_valid, ar_load;

  logic                    arvalid_q, arvalid_d;
  logic [AxiIdWidth-1:0]   arid_q, arid_d;
  logic [AxiAddrWidth-1:0] araddr_q, araddr_d;
  logic [AxiLenWidth-1:0]  arlen_q, arlen_d;
  logic [RdOutBits-1:0]    rd_out_q, rd_out_d;
  logic                    ar_fire, r_fire, r_last_fire;

  for (genvar c = 0; c < NumRd; c++) begin : g_rd_client
    vta_burst_gen u_burst_gen (
      .clk_i,
      .rst_ni,
      .clr_i        (abort_i),
      .req_valid_i  (rd_req_valid_i[c] && !abort_i),
      .req_ready_o  (rd_req_ready_o[c]),
      .req_addr_i   (rd_req_addr_i[c]),
      .req_beats_i  (rd_req_beats_i[c]),
      .burst_valid_o(burst_valid[c]),
      .burst_ready_i(burst_ready[c]),
      .burst_addr_o (burst_addr[c]),
      .burst_len_o  (burst_len[c]),
      .idle_o       (bg_idle[c])
    );
  end

  assign ar_fire     = arvalid_q && m_axi_arready;
  // A new burst enters the AR register when it is empty or being emptied.
  assign ar_load     = gnt_valid && !abort_i && (!arvalid_q || m_axi_arready)
                       && (rd_out_q + RdOutBits'(arvalid_q) < RdOutBits'(MaxRdOutstanding));
  assign burst_ready = ar_load ? gnt : '0;

  vta_rr_arb #(.N(NumRd)) u_rd_arb (
    .clk_i,
    .rst_ni,
    .req_i   (burst_valid),
    .accept_i(ar_load),
    .gnt_o   (gnt),
    .idx_o   (gnt_idx),
    .valid_o (gnt_valid)
  );

  always_comb begin
    arvalid_d = arvalid_q && !m_axi_arready;
    arid_d    = arid_q;
    araddr_d  = araddr_q;
    arlen_d   = arlen_q;
    if (ar_load) begin
      arvalid_d = 1'b1;
      arid_d    = AxiIdWidth'(gnt_idx);
      araddr_d  = burst_addr[gnt_idx];
      arlen_d   = burst_len[gnt_idx];
    end
  end

  assign m_axi_arid    = arid_q;
  assign m_axi_araddr  = araddr_q;
  assign m_axi_arlen   = arlen_q;
  assign m_axi_arsize  = 3'(LogBusBytes);
  assign m_axi_arburst = AxiBurstIncr;
  assign m_axi_arvalid = arvalid_q;

  // Read data first enters a two-entry register slice (no combinational path from the R
  // channel inputs into the clients; full rate), then goes to the client named by RID.
  // Beats with unknown IDs, and every beat while aborting, are dropped.
  localparam int unsigned RBits = AxiIdWidth + 2 + 1 + BusWidth;
  logic                   rs_valid, rs_ready, rs_last;
  logic [AxiIdWidth-1:0]  rs_id;
  logic [1:0]             rs_resp;
  logic [RdIdxBits-1:0]   rid;
  logic [1:0]             rs_count;

  vta_fifo #(
    .Width(RBits),
    .Depth(2)
  ) u_r_slice (
    .clk_i,
    .rst_ni,
    .clr_i  (1'b0),
    .valid_i(m_axi_rvalid),
    .ready_o(m_axi_rready),
    .data_i ({m_axi_rid, m_axi_rresp, m_axi_rlast, m_axi_rdata}),
    .valid_o(rs_valid),
    .ready_i(rs_ready),
    .data_o ({rs_id, rs_resp, rs_last, rd_data_o}),
    .count_o(rs_count)
  );

  assign rid = RdIdxBits'(rs_id);

  always_comb begin
    rd_valid_o = '0;
    rs_ready   = 1'b1;
    if (!abort_i && int'(rs_id) < NumRd) begin
      rd_valid_o[rid] = rs_valid;
      rs_ready        = rd_ready_i[rid];
    end
  end
  assign r_fire      = rs_valid && rs_ready;
  assign r_last_fire = r_fire && rs_last;
  assign rd_beat_o   = m_axi_rvalid && m_axi_rready;

  always_comb begin
    rd_out_d = rd_out_q;
    if (ar_fire && !r_last_fire) rd_out_d = rd_out_q + 1'b1;
    if (r_last_fire && !ar_fire) rd_out_d = rd_out_q - 1'b1;
  end

  // ------------------------------------------------------------------ write side
  logic                    wburst_valid, wburst_ready, wbg_idle;
  logic [AxiAddrWidth-1:0] wburst_addr;
  logic [AxiLenWidth-1:0]  wburst_len;
  logic                    awvalid_q, awvalid_d;
  logic [AxiAddrWidth-1:0] awaddr_q, awaddr_d;
  logic [AxiLenWidth-1:0]  awlen_q, awlen_d;
  logic                    aw_load, aw_fire, w_fire, b_fire;
  logic [WrOutBits-1:0]    b_out_q, b_out_d;
  logic                    wlen_valid, wlen_ready;
  logic [AxiLenWidth-1:0]  wlen_head;
  logic [AxiLenWidth-1:0]  wcnt_q, wcnt_d;
  logic [$clog2(MaxWrOutstanding+1)-1:0] wlen_count;

  vta_burst_gen u_wr_burst_gen (
    .clk_i,
    .rst_ni,
    .clr_i        (abort_i),
    .req_valid_i  (wr_req_valid_i && !abort_i),
    .req_ready_o  (wr_req_ready_o),
    .req_addr_i   (wr_req_addr_i),
    .req_beats_i  (wr_req_beats_i),
    .burst_valid_o(wburst_valid),
    .burst_ready_i(wburst_ready),
    .burst_addr_o (wburst_addr),
    .burst_len_o  (wburst_len),
    .idle_o       (wbg_idle)
  );

  assign aw_fire      = awvalid_q && m_axi_awready;
  // Bound the bursts whose response is outstanding (this also bounds the W length queue).
  assign aw_load      = wburst_valid && !abort_i && (!awvalid_q || m_axi_awready)
                        && (b_out_q + WrOutBits'(awvalid_q) < WrOutBits'(MaxWrOutstanding));
  assign wburst_ready = aw_load;

  always_comb begin
    awvalid_d = awvalid_q && !m_axi_awready;
    awaddr_d  = awaddr_q;
    awlen_d   = awlen_q;
    if (aw_load) begin
      awvalid_d = 1'b1;
      awaddr_d  = wburst_addr;
      awlen_d   = wburst_len;
    end
  end

  assign m_axi_awid    = '0;
  assign m_axi_awaddr  = awaddr_q;
  assign m_axi_awlen   = awlen_q;
  assign m_axi_awsize  = 3'(LogBusBytes);
  assign m_axi_awburst = AxiBurstIncr;
  assign m_axi_awvalid = awvalid_q;

  // Lengths of bursts whose AW was accepted and whose data is still to be sent.
  vta_fifo #(
    .Width(AxiLenWidth),
    .Depth(MaxWrOutstanding)
  ) u_wlen_fifo (
    .clk_i,
    .rst_ni,
    .clr_i  (1'b0),
    .valid_i(aw_fire),
    .ready_o(wlen_ready),
    .data_i (awlen_q),
    .valid_o(wlen_valid),
    .ready_i(w_fire && m_axi_wlast),
    .data_o (wlen_head),
    .count_o(wlen_count)
  );

  assign m_axi_wvalid = wlen_valid && (wr_valid_i || abort_i);
  assign m_axi_wdata  = abort_i ? '0 : wr_data_i;
  assign m_axi_wstrb  = abort_i ? '0 : wr_strb_i;
  assign m_axi_wlast  = wcnt_q == wlen_head;
  assign wr_ready_o   = wlen_valid && m_axi_wready && !abort_i;
  assign w_fire       = m_axi_wvalid && m_axi_wready;
  assign wr_beat_o    = w_fire;

  always_comb begin
    wcnt_d = wcnt_q;
    if (w_fire) wcnt_d = m_axi_wlast ? '0 : wcnt_q + 1'b1;
  end

  assign m_axi_bready = 1'b1;
  assign b_fire       = m_axi_bvalid;

  always_comb begin
    b_out_d = b_out_q;
    if (aw_fire && !b_fire) b_out_d = b_out_q + 1'b1;
    if (b_fire && !aw_fire) b_out_d = b_out_q - 1'b1;
  end

  // ------------------------------------------------------------------ status
  assign wr_idle_o = wbg_idle && !awvalid_q && !wlen_valid && (b_out_q == '0);
  assign idle_o    = (&bg_idle) && !arvalid_q && (rd_out_q == '0) && !rs_valid && wr_idle_o;

  always_comb begin
    err_o        = 1'b0;
    err_client_o = '0;
    if (b_fire && m_axi_bresp[1]) begin
      err_o        = 1'b1;
      err_client_o = (RdIdxBits+1)'(NumRd);
    end
    if (r_fire && rs_resp[1]) begin
      err_o        = 1'b1;
      err_client_o = (RdIdxBits+1)'(rs_id);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      arvalid_q <= 1'b0;
      arid_q    <= '0;
      araddr_q  <= '0;
      arlen_q   <= '0;
      rd_out_q  <= '0;
      awvalid_q <= 1'b0;
      awaddr_q  <= '0;
      awlen_q   <= '0;
      b_out_q   <= '0;
      wcnt_q    <= '0;
    end else begin
      arvalid_q <= arvalid_d;
      arid_q    <= arid_d;
      araddr_q  <= araddr_d;
      arlen_q   <= arlen_d;
      rd_out_q  <= rd_out_d;
      awvalid_q <= awvalid_d;
      awaddr_q  <= awaddr_d;
      awlen_q   <= awlen_d;
      b_out_q   <= b_out_d;
      wcnt_q    <= wcnt_d;
    end
  end

  logic unused_sig;
  assign unused_sig = ^{m_axi_bid, wlen_ready, wlen_count, m_axi_bresp[0], rs_resp[0], rs_count};
endmodule
