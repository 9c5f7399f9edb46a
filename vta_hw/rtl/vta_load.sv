// Load stage (upstream Load): LOAD INP and LOAD WGT instructions from the
// load command queue, executed in order by vta_stage_ctrl with the g2l/l2g
// tokens, each by its own 2D DMA engine writing its own scratchpad port, so
// loads overlap with compute.
module vta_load
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits   = MemSramBaseWidth
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
  input  logic                             g2l_valid_i,
  output logic                             g2l_ready_o,
  output logic                             l2g_valid_o,
  input  logic                             l2g_ready_i,
  // memory read clients: [0] INP, [1] WGT
  output logic [1:0]                       rd_req_valid_o,
  input  logic [1:0]                       rd_req_ready_i,
  output logic [1:0][AxiAddrWidth-1:0]     rd_req_addr_o,
  output logic [1:0][31:0]                 rd_req_beats_o,
  input  logic [1:0]                       rd_valid_i,
  output logic [1:0]                       rd_ready_o,
  input  logic [BusWidth-1:0]              rd_data_i,
  // INP scratchpad write port
  output logic                             inp_wr_en_o,
  output logic [IdxBits-1:0]               inp_wr_idx_o,
  output logic [InpLanes-1:0]              inp_wr_lane_en_o,
  output logic [InpSlices-1:0]             inp_wr_slice_en_o,
  output logic [InpLanes*InpElemBits-1:0]  inp_wr_data_o,
  // WGT scratchpad write port
  output logic                             wgt_wr_en_o,
  output logic [IdxBits-1:0]               wgt_wr_idx_o,
  output logic [WgtLanes-1:0]              wgt_wr_lane_en_o,
  output logic [WgtSlices-1:0]             wgt_wr_slice_en_o,
  output logic [WgtLanes*WgtElemBits-1:0]  wgt_wr_data_o,
  // status
  output logic                             busy_o,
  output logic                             stall_o,
  output logic [31:0]                      cur_idx_o
);
  mem_insn_t cmd;
  logic is_wgt, start, inp_ready, wgt_ready, inp_done, wgt_done, inp_busy, wgt_busy;

  assign cmd    = mem_insn_t'(cmd_insn_i);
  assign is_wgt = mem_type_e'(cmd.memory_type) == MemTypeWgt;

  vta_stage_ctrl #(.UsePrevFlags(1'b0)) u_ctrl (
    .clk_i,
    .rst_ni,
    .clr_i,
    .cmd_valid_i,
    .cmd_ready_o,
    .cmd_insn_i,
    .cmd_idx_i,
    .pop_valid_i   (g2l_valid_i),
    .pop_ready_o   (g2l_ready_o),
    .push_valid_o  (l2g_valid_o),
    .push_ready_i  (l2g_ready_i),
    .start_o       (start),
    .engine_ready_i(is_wgt ? wgt_ready : inp_ready),
    .engine_done_i (inp_done || wgt_done),
    .busy_o,
    .stall_o,
    .cur_idx_o
  );

  vta_tensor_load #(
    .ElemBits    (InpElemBits),
    .LogElemBytes(LogInpElemBytes)
  ) u_inp (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i       (start && !is_wgt),
    .ready_o       (inp_ready),
    .insn_i        (cmd_insn_i),
    .done_o        (inp_done),
    .busy_o        (inp_busy),
    .rd_req_valid_o(rd_req_valid_o[0]),
    .rd_req_ready_i(rd_req_ready_i[0]),
    .rd_req_addr_o (rd_req_addr_o[0]),
    .rd_req_beats_o(rd_req_beats_o[0]),
    .rd_valid_i    (rd_valid_i[0]),
    .rd_ready_o    (rd_ready_o[0]),
    .rd_data_i,
    .wr_en_o       (inp_wr_en_o),
    .wr_idx_o      (inp_wr_idx_o),
    .wr_lane_en_o  (inp_wr_lane_en_o),
    .wr_slice_en_o (inp_wr_slice_en_o),
    .wr_data_o     (inp_wr_data_o)
  );

  vta_tensor_load #(
    .ElemBits    (WgtElemBits),
    .LogElemBytes(LogWgtElemBytes)
  ) u_wgt (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i       (start && is_wgt),
    .ready_o       (wgt_ready),
    .insn_i        (cmd_insn_i),
    .done_o        (wgt_done),
    .busy_o        (wgt_busy),
    .rd_req_valid_o(rd_req_valid_o[1]),
    .rd_req_ready_i(rd_req_ready_i[1]),
    .rd_req_addr_o (rd_req_addr_o[1]),
    .rd_req_beats_o(rd_req_beats_o[1]),
    .rd_valid_i    (rd_valid_i[1]),
    .rd_ready_o    (rd_ready_o[1]),
    .rd_data_i,
    .wr_en_o       (wgt_wr_en_o),
    .wr_idx_o      (wgt_wr_idx_o),
    .wr_lane_en_o  (wgt_wr_lane_en_o),
    .wr_slice_en_o (wgt_wr_slice_en_o),
    .wr_data_o     (wgt_wr_data_o)
  );

  logic unused_load;
  assign unused_load = ^{cmd, inp_busy, wgt_busy};
endmodule
