// On-chip buffer of `2**LogDepth` elements of `ElemBits`, organised so that
// the memory engine's full bus width can be written (and read) per cycle:
//
// * ElemBits >= BusWidth: Slices = ElemBits/BusWidth RAMs, one per bus-wide
//   slice of the element, written one slice per beat (`wr_slice_en_i`) or
//   all at once; Lanes = 1.
// * ElemBits <  BusWidth: Lanes = BusWidth/ElemBits banks interleaved by
//   element index (element i lives in bank i % Lanes), so any Lanes
//   consecutive elements can be written or read in one cycle.
//
// Both ports address elements with SRAM-index-field-wide indices; lane k of
// a port is element `idx + k` (indices wrap at the index width; only in-range
// indices are meaningful). Narrow users (GEMM, ALU) use lane 0 only.
//
// TwoPort adds a second narrow port (wr1/rd1: one whole element, lane 0),
// for the compute stage's dual issue: every RAM becomes a vta_sram_2p, split
// in halves by the element index's top bit, and the two ports may be used in
// the same cycle on different halves (ACC and OUT: the GEMM core on port 0,
// the tensor ALU on port 1). A wide port-0 read never takes a RAM half away
// from port 1 for a lane it does not need.
module vta_scratchpad
  import vta_pkg::*;
#(
  parameter int unsigned ElemBits = 128,
  parameter int unsigned LogDepth = 11,
  parameter bit          TwoPort  = 1'b0,
  localparam int unsigned Lanes    = ElemBits < BusWidth ? BusWidth / ElemBits : 1,
  localparam int unsigned Slices   = ElemBits > BusWidth ? ElemBits / BusWidth : 1,
  localparam int unsigned IdxBits  = MemSramBaseWidth,
  localparam int unsigned DataBits = Lanes * ElemBits,
  localparam int unsigned P1Bits   = TwoPort ? ElemBits : 1  // port-1 data (a 1-bit stub without it)
) (
  input  logic                clk_i,
  input  logic                wr_en_i,
  input  logic [IdxBits-1:0]  wr_idx_i,
  input  logic [Lanes-1:0]    wr_lane_en_i,
  input  logic [Slices-1:0]   wr_slice_en_i,
  input  logic [DataBits-1:0] wr_data_i,
  input  logic                rd_en_i,
  input  logic [IdxBits-1:0]  rd_idx_i,
  output logic [DataBits-1:0] rd_data_o,
  // second port (TwoPort only; tie to 0 otherwise)
  input  logic                wr1_en_i,
  input  logic [IdxBits-1:0]  wr1_idx_i,
  input  logic [P1Bits-1:0]   wr1_data_i,
  input  logic                rd1_en_i,
  input  logic [IdxBits-1:0]  rd1_idx_i,
  output logic [P1Bits-1:0]   rd1_data_o
);
  if (Lanes == 1) begin : g_single
    // One RAM per bus-wide slice of the element, all at the element's address.
    localparam int unsigned AddrBits  = LogDepth > 0 ? LogDepth : 1;
    localparam int unsigned SliceBits = ElemBits / Slices;
    logic unused_idx;
    assign unused_idx = ^{wr_idx_i, rd_idx_i, wr1_idx_i, rd1_idx_i};
    for (genvar s = 0; s < Slices; s++) begin : g_slice
      logic we0;
      assign we0 = wr_en_i && wr_lane_en_i[0] && wr_slice_en_i[s];
      if (TwoPort) begin : g_two
        vta_sram_2p #(
          .Width(SliceBits),
          .Depth(2 ** LogDepth)
        ) u_ram (
          .clk_i,
          .we_i   ({wr1_en_i, we0}),
          .waddr_i({wr1_idx_i[AddrBits-1:0], wr_idx_i[AddrBits-1:0]}),
          .wdata_i({wr1_data_i[s*SliceBits +: SliceBits], wr_data_i[s*SliceBits +: SliceBits]}),
          .re_i   ({rd1_en_i, rd_en_i}),
          .raddr_i({rd1_idx_i[AddrBits-1:0], rd_idx_i[AddrBits-1:0]}),
          .rdata_o({rd1_data_o[s*SliceBits +: SliceBits], rd_data_o[s*SliceBits +: SliceBits]})
        );
      end else begin : g_one
        vta_sram #(
          .Width(SliceBits),
          .Depth(2 ** LogDepth)
        ) u_ram (
          .clk_i,
          .we_i   (we0),
          .waddr_i(wr_idx_i[AddrBits-1:0]),
          .wdata_i(wr_data_i[s*SliceBits +: SliceBits]),
          .re_i   (rd_en_i),
          .raddr_i(rd_idx_i[AddrBits-1:0]),
          .rdata_o(rd_data_o[s*SliceBits +: SliceBits])
        );
      end
    end
    if (!TwoPort) begin : g_no_port1
      assign rd1_data_o = '0;
      logic unused_port1;
      assign unused_port1 = ^{wr1_en_i, wr1_idx_i, wr1_data_i, rd1_en_i, rd1_idx_i};
    end
  end else begin : g_banked
    localparam int unsigned LogLanes  = $clog2(Lanes);
    localparam int unsigned LogRows   = LogDepth > LogLanes ? LogDepth - LogLanes : 0;
    localparam int unsigned RowBits   = LogRows > 0 ? LogRows : 1;

    logic [LogLanes-1:0] rd_lane0_q, rd_lane0_d;
    logic [Lanes-1:0][ElemBits-1:0] bank_rdata, bank_rdata1;
    logic [LogLanes-1:0] rd1_lane_q, rd1_lane_d;

    for (genvar b = 0; b < Lanes; b++) begin : g_bank
      logic [LogLanes-1:0] wk, rk;
      logic [IdxBits-1:0]  we_idx, re_idx;
      logic [RowBits-1:0]  wrow, rrow;

      // Lane k of a port lands in bank (idx + k) % Lanes, so bank b serves
      // lane (b - idx) % Lanes, at row (idx + k) / Lanes.
      assign wk     = LogLanes'(b) - wr_idx_i[LogLanes-1:0];
      assign rk     = LogLanes'(b) - rd_idx_i[LogLanes-1:0];
      assign we_idx = wr_idx_i + IdxBits'(wk);
      assign re_idx = rd_idx_i + IdxBits'(rk);
      if (LogRows > 0) begin : g_rows
        assign wrow = we_idx[LogLanes +: LogRows];
        assign rrow = re_idx[LogLanes +: LogRows];
      end else begin : g_one_row
        assign wrow = '0;
        assign rrow = '0;
      end
      logic unused_bank_idx;
      assign unused_bank_idx = ^{we_idx, re_idx};

      logic we0;
      assign we0 = wr_en_i && wr_lane_en_i[wk];
      if (TwoPort) begin : g_two
        // Port 1 is lane 0 only: element idx1 lives in bank idx1 % Lanes at row idx1 / Lanes.
        logic w1, r1, r0;
        logic [RowBits-1:0] wrow1, rrow1;
        assign w1 = wr1_en_i && wr1_idx_i[LogLanes-1:0] == LogLanes'(b);
        assign r1 = rd1_en_i && rd1_idx_i[LogLanes-1:0] == LogLanes'(b);
        // A wide port-0 read does not take this RAM from port 1 for a lane other than its lane 0.
        assign r0 = rd_en_i && !(r1 && rk != '0);
        if (LogRows > 0) begin : g_rows1
          assign wrow1 = wr1_idx_i[LogLanes +: LogRows];
          assign rrow1 = rd1_idx_i[LogLanes +: LogRows];
        end else begin : g_one_row1
          assign wrow1 = '0;
          assign rrow1 = '0;
        end
        vta_sram_2p #(
          .Width(ElemBits),
          .Depth(2 ** LogRows)
        ) u_ram (
          .clk_i,
          .we_i   ({w1, we0}),
          .waddr_i({wrow1, wrow}),
          .wdata_i({wr1_data_i, wr_data_i[wk*ElemBits +: ElemBits]}),
          .re_i   ({r1, r0}),
          .raddr_i({rrow1, rrow}),
          .rdata_o({bank_rdata1[b], bank_rdata[b]})
        );
      end else begin : g_one
        vta_sram #(
          .Width(ElemBits),
          .Depth(2 ** LogRows)
        ) u_ram (
          .clk_i,
          .we_i   (we0),
          .waddr_i(wrow),
          .wdata_i(wr_data_i[wk*ElemBits +: ElemBits]),
          .re_i   (rd_en_i),
          .raddr_i(rrow),
          .rdata_o(bank_rdata[b])
        );
        assign bank_rdata1[b] = '0;
      end
    end

    assign rd_lane0_d = rd_en_i ? rd_idx_i[LogLanes-1:0] : rd_lane0_q;

    assign rd1_lane_d = rd1_en_i ? rd1_idx_i[LogLanes-1:0] : rd1_lane_q;
    if (TwoPort) begin : g_rd1
      assign rd1_data_o = bank_rdata1[rd1_lane_q];
    end else begin : g_no_rd1
      assign rd1_data_o = '0;
      logic unused_rd1;
      assign unused_rd1 = ^{bank_rdata1, rd1_lane_q};
    end

    always_ff @(posedge clk_i) begin
      rd_lane0_q <= rd_lane0_d;
      rd1_lane_q <= rd1_lane_d;
    end

    always_comb begin
      for (int unsigned k = 0; k < Lanes; k++) begin
        rd_data_o[k*ElemBits +: ElemBits] = bank_rdata[rd_lane0_q + LogLanes'(k)];
      end
    end

    // Index bits above the depth select nothing (out-of-range indices alias).
    logic unused_idx;
    assign unused_idx = ^{wr_slice_en_i, wr_idx_i, rd_idx_i, wr1_en_i, wr1_idx_i, wr1_data_i, rd1_en_i,
                          rd1_idx_i};
  end
endmodule
