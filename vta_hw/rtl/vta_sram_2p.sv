// Two-port RAM built from two half-depth simple dual-port RAMs (vta_sram),
// split by the address's top bit: port p writes and reads whichever half its
// address selects, so the ports work in the same cycle when they address
// different halves. That is the bank rule of the compute stage's dual issue
// (a GEMM and an ALU instruction overlap only in different ACC/OUT halves).
// If both ports address one half in one cycle, port 0 wins (the dispatch
// rules of vta_compute never let that happen). Read data: one cycle of
// latency, from the half the port read last (it holds while `re` is low and
// the other port does not read that half).
module vta_sram_2p #(
  parameter int unsigned Width = 32,
  parameter int unsigned Depth = 1024,
  localparam int unsigned AddrBits = Depth > 1 ? $clog2(Depth) : 1
) (
  input  logic                     clk_i,
  input  logic [1:0]               we_i,
  input  logic [1:0][AddrBits-1:0] waddr_i,
  input  logic [1:0][Width-1:0]    wdata_i,
  input  logic [1:0]               re_i,
  input  logic [1:0][AddrBits-1:0] raddr_i,
  output logic [1:0][Width-1:0]    rdata_o
);
  if (Depth < 2) begin : g_one
    // Nothing to split: one RAM, port 0 first.
    logic [Width-1:0] rdata;
    vta_sram #(
      .Width(Width),
      .Depth(Depth)
    ) u_ram (
      .clk_i,
      .we_i   (we_i[0] || we_i[1]),
      .waddr_i(we_i[0] ? waddr_i[0] : waddr_i[1]),
      .wdata_i(we_i[0] ? wdata_i[0] : wdata_i[1]),
      .re_i   (re_i[0] || re_i[1]),
      .raddr_i(re_i[0] ? raddr_i[0] : raddr_i[1]),
      .rdata_o(rdata)
    );
    assign rdata_o = {rdata, rdata};
  end else begin : g_split
    localparam int unsigned HalfBits = AddrBits - 1;
    localparam int unsigned HalfAddr = HalfBits > 0 ? HalfBits : 1;
    logic [1:0][Width-1:0] half_rdata;
    logic [1:0] rsel_q, rsel_d;

    for (genvar h = 0; h < 2; h++) begin : g_half
      logic w0, w1, r0, r1;
      logic [HalfAddr-1:0] wa, ra;
      assign w0 = we_i[0] && waddr_i[0][AddrBits-1] == 1'(h);
      assign w1 = we_i[1] && waddr_i[1][AddrBits-1] == 1'(h);
      assign r0 = re_i[0] && raddr_i[0][AddrBits-1] == 1'(h);
      assign r1 = re_i[1] && raddr_i[1][AddrBits-1] == 1'(h);
      if (HalfBits > 0) begin : g_addr
        assign wa = w0 ? waddr_i[0][HalfBits-1:0] : waddr_i[1][HalfBits-1:0];
        assign ra = r0 ? raddr_i[0][HalfBits-1:0] : raddr_i[1][HalfBits-1:0];
      end else begin : g_no_addr
        assign wa = '0;
        assign ra = '0;
      end
      vta_sram #(
        .Width(Width),
        .Depth(Depth / 2)
      ) u_ram (
        .clk_i,
        .we_i   (w0 || w1),
        .waddr_i(wa),
        .wdata_i(w0 ? wdata_i[0] : wdata_i[1]),
        .re_i   (r0 || r1),
        .raddr_i(ra),
        .rdata_o(half_rdata[h])
      );
    end

    for (genvar p = 0; p < 2; p++) begin : g_port
      assign rsel_d[p]  = re_i[p] ? raddr_i[p][AddrBits-1] : rsel_q[p];
      assign rdata_o[p] = half_rdata[rsel_q[p]];
    end

    always_ff @(posedge clk_i) begin
      rsel_q <= rsel_d;
    end
  end
endmodule
