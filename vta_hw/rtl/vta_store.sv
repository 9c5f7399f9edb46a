// Store stage (upstream Store): STORE instructions from the store command
// queue, executed in order by vta_stage_ctrl with the g2s/s2g tokens, by a
// 2D DMA engine reading the OUT scratchpad.
module vta_store
  import vta_pkg::*;
#(
  localparam int unsigned IdxBits  = MemSramBaseWidth
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            clr_i,
  // command queue
  input  logic                            cmd_valid_i,
  output logic                            cmd_ready_o,
  input  logic [InsnBits-1:0]             cmd_insn_i,
  input  logic [31:0]                     cmd_idx_i,
  // tokens
  input  logic                            g2s_valid_i,
  output logic                            g2s_ready_o,
  output logic                            s2g_valid_o,
  input  logic                            s2g_ready_i,
  // memory write client
  output logic                            wr_req_valid_o,
  input  logic                            wr_req_ready_i,
  output logic [AxiAddrWidth-1:0]         wr_req_addr_o,
  output logic [31:0]                     wr_req_beats_o,
  output logic                            wr_valid_o,
  input  logic                            wr_ready_i,
  output logic [BusWidth-1:0]             wr_data_o,
  output logic [BusWidth/8-1:0]           wr_strb_o,
  input  logic                            mem_wr_idle_i,
  // OUT scratchpad read port
  output logic                            out_rd_en_o,
  output logic [IdxBits-1:0]              out_rd_idx_o,
  input  logic [OutLanes*OutElemBits-1:0] out_rd_data_i,
  // status
  output logic                            busy_o,
  output logic                            stall_o,
  output logic [31:0]                     cur_idx_o
);
  logic start, dma_ready, dma_done, dma_busy;

  vta_stage_ctrl #(.UsePrevFlags(1'b1)) u_ctrl (
    .clk_i,
    .rst_ni,
    .clr_i,
    .cmd_valid_i,
    .cmd_ready_o,
    .cmd_insn_i,
    .cmd_idx_i,
    .pop_valid_i   (g2s_valid_i),
    .pop_ready_o   (g2s_ready_o),
    .push_valid_o  (s2g_valid_o),
    .push_ready_i  (s2g_ready_i),
    .start_o       (start),
    .engine_ready_i(dma_ready),
    .engine_done_i (dma_done),
    .busy_o,
    .stall_o,
    .cur_idx_o
  );

  vta_tensor_store #(
    .ElemBits    (OutElemBits),
    .LogElemBytes(LogOutElemBytes)
  ) u_out (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i       (start),
    .ready_o       (dma_ready),
    .insn_i        (cmd_insn_i),
    .done_o        (dma_done),
    .busy_o        (dma_busy),
    .wr_req_valid_o,
    .wr_req_ready_i,
    .wr_req_addr_o,
    .wr_req_beats_o,
    .wr_valid_o,
    .wr_ready_i,
    .wr_data_o,
    .wr_strb_o,
    .mem_wr_idle_i,
    .rd_en_o       (out_rd_en_o),
    .rd_idx_o      (out_rd_idx_o),
    .rd_data_i     (out_rd_data_i)
  );

  logic unused_store;
  assign unused_store = dma_busy;
endmodule
