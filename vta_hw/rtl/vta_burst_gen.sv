// Splits a transfer (bus-aligned byte address, number of beats) into AXI4
// INCR bursts of at most AxiMaxBurstBeats beats that never cross a
// 2**LogAxiBoundaryBytes (4 KiB) boundary. Back-to-back transfers need no
// idle cycle: a new one is accepted with the last burst of the previous.
module vta_burst_gen
  import vta_pkg::*;
(
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,
  input  logic                    req_valid_i,
  output logic                    req_ready_o,
  input  logic [AxiAddrWidth-1:0] req_addr_i,
  input  logic [31:0]             req_beats_i,
  output logic                    burst_valid_o,
  input  logic                    burst_ready_i,
  output logic [AxiAddrWidth-1:0] burst_addr_o,
  output logic [AxiLenWidth-1:0]  burst_len_o,
  output logic                    idle_o
);
  localparam int unsigned RoomBits = LogAxiBoundaryBytes - LogBusBytes + 1;

  logic [AxiAddrWidth-1:0] addr_q, addr_d;
  logic [31:0] left_q, left_d;
  logic [RoomBits-1:0] room;  // beats up to the next boundary
  logic [31:0] n;
  logic fire, last;

  always_comb begin
    room = RoomBits'((1 << (LogAxiBoundaryBytes - LogBusBytes))
                     - addr_q[LogAxiBoundaryBytes-1:LogBusBytes]);
    n = left_q;
    if (n > 32'(AxiMaxBurstBeats)) n = 32'(AxiMaxBurstBeats);
    if (n > 32'(room))             n = 32'(room);
  end

  assign burst_valid_o = left_q != '0;
  assign burst_addr_o  = addr_q;
  assign burst_len_o   = AxiLenWidth'(n - 1);
  assign fire          = burst_valid_o && burst_ready_i;
  assign last          = fire && (n == left_q);
  assign req_ready_o   = (left_q == '0) || last;
  assign idle_o        = left_q == '0;

  always_comb begin
    addr_d = addr_q;
    left_d = left_q;
    if (fire) begin
      addr_d = addr_q + (AxiAddrWidth'(n) << LogBusBytes);
      left_d = left_q - n;
    end
    if (req_valid_i && req_ready_o) begin
      addr_d = req_addr_i;
      left_d = req_beats_i;
    end
    if (clr_i) left_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      addr_q <= '0;
      left_q <= '0;
    end else begin
      addr_q <= addr_d;
      left_q <= left_d;
    end
  end
endmodule
