// Inferable simple dual-port RAM: one write port, one read port with read
// enable and one cycle of latency. The read data register holds while `re_i`
// is low. Read-during-write to the same address returns the old data
// (read-first); users never rely on either. Contents are not reset (SRAMs
// keep their data between runs).
module vta_sram #(
  parameter int unsigned Width = 32,
  parameter int unsigned Depth = 1024,
  localparam int unsigned AddrBits = Depth > 1 ? $clog2(Depth) : 1
) (
  input  logic                clk_i,
  input  logic                we_i,
  input  logic [AddrBits-1:0] waddr_i,
  input  logic [Width-1:0]    wdata_i,
  input  logic                re_i,
  input  logic [AddrBits-1:0] raddr_i,
  output logic [Width-1:0]    rdata_o
);
  logic [Width-1:0] mem_q [Depth];
  logic [Width-1:0] rdata_q;

  assign rdata_o = rdata_q;

  // Memory array and its read register: the inference template FPGA tools
  // map to block RAM (the exception to the `_q <= _d` rule).
  always_ff @(posedge clk_i) begin
    if (we_i) mem_q[waddr_i] <= wdata_i;
    if (re_i) rdata_q <= mem_q[raddr_i];
  end
endmodule
