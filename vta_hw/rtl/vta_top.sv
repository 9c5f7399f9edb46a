// vta-kit accelerator top level (upstream VTAShell): the register block
// (AXI4-Lite slave), the core, and the memory engine (AXI4 master).
// Port names of the two buses keep the AXI protocol names (no _i/_o
// suffixes) so bus models and FPGA tools recognise them.
module vta_top
  import vta_pkg::*;
(
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // AXI4-Lite slave: registers
  input  logic [HostAddrBits-1:0] s_axil_awaddr,
  input  logic                  s_axil_awvalid,
  output logic                  s_axil_awready,
  input  logic [HostDataBits-1:0] s_axil_wdata,
  input  logic [HostDataBits/8-1:0] s_axil_wstrb,
  input  logic                  s_axil_wvalid,
  output logic                  s_axil_wready,
  output logic [1:0]            s_axil_bresp,
  output logic                  s_axil_bvalid,
  input  logic                  s_axil_bready,
  input  logic [HostAddrBits-1:0] s_axil_araddr,
  input  logic                  s_axil_arvalid,
  output logic                  s_axil_arready,
  output logic [HostDataBits-1:0] s_axil_rdata,
  output logic [1:0]            s_axil_rresp,
  output logic                  s_axil_rvalid,
  input  logic                  s_axil_rready,
  // AXI4 master: memory
  output logic [AxiIdWidth-1:0] m_axi_arid,
  output logic [AxiAddrWidth-1:0] m_axi_araddr,
  output logic [AxiLenWidth-1:0] m_axi_arlen,
  output logic [2:0]            m_axi_arsize,
  output logic [1:0]            m_axi_arburst,
  output logic                  m_axi_arvalid,
  input  logic                  m_axi_arready,
  input  logic [AxiIdWidth-1:0] m_axi_rid,
  input  logic [BusWidth-1:0]   m_axi_rdata,
  input  logic [1:0]            m_axi_rresp,
  input  logic                  m_axi_rlast,
  input  logic                  m_axi_rvalid,
  output logic                  m_axi_rready,
  output logic [AxiIdWidth-1:0] m_axi_awid,
  output logic [AxiAddrWidth-1:0] m_axi_awaddr,
  output logic [AxiLenWidth-1:0] m_axi_awlen,
  output logic [2:0]            m_axi_awsize,
  output logic [1:0]            m_axi_awburst,
  output logic                  m_axi_awvalid,
  input  logic                  m_axi_awready,
  output logic [BusWidth-1:0]   m_axi_wdata,
  output logic [BusWidth/8-1:0] m_axi_wstrb,
  output logic                  m_axi_wlast,
  output logic                  m_axi_wvalid,
  input  logic                  m_axi_wready,
  input  logic [AxiIdWidth-1:0] m_axi_bid,
  input  logic [1:0]            m_axi_bresp,
  input  logic                  m_axi_bvalid,
  output logic                  m_axi_bready,
  output logic                  irq_o
);
  localparam int unsigned NumRd = 5;

  logic launch, busy, finish, err;
  logic [31:0] insn_count, insn_addr, err_insn;
  logic [ErrCodeBits-1:0] err_code;
  logic [NumCounters-1:0][CounterBits-1:0] counters;

  logic mem_abort, mem_idle, mem_err, mem_rd_beat, mem_wr_beat, mem_wr_idle;
  logic [$clog2(NumRd):0] mem_err_client;
  logic [NumRd-1:0] rd_req_valid, rd_req_ready, rd_valid, rd_ready;
  logic [NumRd-1:0][AxiAddrWidth-1:0] rd_req_addr;
  logic [NumRd-1:0][31:0] rd_req_beats;
  logic [BusWidth-1:0] rd_data, wr_data;
  logic [BusWidth/8-1:0] wr_strb;
  logic wr_req_valid, wr_req_ready, wr_valid, wr_ready;
  logic [AxiAddrWidth-1:0] wr_req_addr;
  logic [31:0] wr_req_beats;

  vta_regs u_regs (
    .clk_i,
    .rst_ni,
    .s_axil_awaddr,
    .s_axil_awvalid,
    .s_axil_awready,
    .s_axil_wdata,
    .s_axil_wstrb,
    .s_axil_wvalid,
    .s_axil_wready,
    .s_axil_bresp,
    .s_axil_bvalid,
    .s_axil_bready,
    .s_axil_araddr,
    .s_axil_arvalid,
    .s_axil_arready,
    .s_axil_rdata,
    .s_axil_rresp,
    .s_axil_rvalid,
    .s_axil_rready,
    .launch_o    (launch),
    .insn_count_o(insn_count),
    .insn_addr_o (insn_addr),
    .busy_i      (busy),
    .finish_i    (finish),
    .err_i       (err),
    .err_code_i  (err_code),
    .err_insn_i  (err_insn),
    .counters_i  (counters),
    .irq_o
  );

  vta_core u_core (
    .clk_i,
    .rst_ni,
    .launch_i        (launch),
    .insn_count_i    (insn_count),
    .insn_addr_i     (insn_addr),
    .busy_o          (busy),
    .finish_o        (finish),
    .err_o           (err),
    .err_code_o      (err_code),
    .err_insn_o      (err_insn),
    .counters_o      (counters),
    .mem_abort_o     (mem_abort),
    .mem_idle_i      (mem_idle),
    .mem_err_i       (mem_err),
    .mem_err_client_i(mem_err_client),
    .mem_rd_beat_i   (mem_rd_beat),
    .mem_wr_beat_i   (mem_wr_beat),
    .rd_req_valid_o  (rd_req_valid),
    .rd_req_ready_i  (rd_req_ready),
    .rd_req_addr_o   (rd_req_addr),
    .rd_req_beats_o  (rd_req_beats),
    .rd_valid_i      (rd_valid),
    .rd_ready_o      (rd_ready),
    .rd_data_i       (rd_data),
    .wr_req_valid_o  (wr_req_valid),
    .wr_req_ready_i  (wr_req_ready),
    .wr_req_addr_o   (wr_req_addr),
    .wr_req_beats_o  (wr_req_beats),
    .wr_valid_o      (wr_valid),
    .wr_ready_i      (wr_ready),
    .wr_data_o       (wr_data),
    .wr_strb_o       (wr_strb),
    .mem_wr_idle_i   (mem_wr_idle)
  );

  vta_mem_engine #(.NumRd(NumRd)) u_mem (
    .clk_i,
    .rst_ni,
    .abort_i       (mem_abort),
    .rd_req_valid_i(rd_req_valid),
    .rd_req_ready_o(rd_req_ready),
    .rd_req_addr_i (rd_req_addr),
    .rd_req_beats_i(rd_req_beats),
    .rd_valid_o    (rd_valid),
    .rd_ready_i    (rd_ready),
    .rd_data_o     (rd_data),
    .wr_req_valid_i(wr_req_valid),
    .wr_req_ready_o(wr_req_ready),
    .wr_req_addr_i (wr_req_addr),
    .wr_req_beats_i(wr_req_beats),
    .wr_valid_i    (wr_valid),
    .wr_ready_o    (wr_ready),
    .wr_data_i     (wr_data),
    .wr_strb_i     (wr_strb),
    .wr_idle_o     (mem_wr_idle),
    .idle_o        (mem_idle),
    .err_o         (mem_err),
    .err_client_o  (mem_err_client),
    .rd_beat_o     (mem_rd_beat),
    .wr_beat_o     (mem_wr_beat),
    .m_axi_arid,
    .m_axi_araddr,
    .m_axi_arlen,
    .m_axi_arsize,
    .m_axi_arburst,
    .m_axi_arvalid,
    .m_axi_arready,
    .m_axi_rid,
    .m_axi_rdata,
    .m_axi_rresp,
    .m_axi_rlast,
    .m_axi_rvalid,
    .m_axi_rready,
    .m_axi_awid,
    .m_axi_awaddr,
    .m_axi_awlen,
    .m_axi_awsize,
    .m_axi_awburst,
    .m_axi_awvalid,
    .m_axi_awready,
    .m_axi_wdata,
    .m_axi_wstrb,
    .m_axi_wlast,
    .m_axi_wvalid,
    .m_axi_wready,
    .m_axi_bid,
    .m_axi_bresp,
    .m_axi_bvalid,
    .m_axi_bready
  );
endmodule
