// 2D DMA from a scratchpad (OUT) to DRAM (semantics.md STORE): element
// sram_base + y*x_size + x goes to DRAM element dram_base + y*x_stride + x.
// x_size == 0 is a NOP; pads are not used by STORE and are ignored.
//
// Each bus beat is one scratchpad read: a bus-wide slice of an element
// (ElemBits >= BusWidth), or Lanes consecutive elements lined up with the
// DRAM lanes of the beat, with strobes for the lanes inside the row. Reads
// are issued only when the output FIFO has room for their data. done_o
// pulses after the last write response (the data is in DRAM).
module vta_tensor_store
  import vta_pkg::*;
#(
  parameter int unsigned ElemBits     = OutElemBits,
  parameter int unsigned LogElemBytes = LogOutElemBytes,
  localparam int unsigned Lanes    = ElemBits < BusWidth ? BusWidth / ElemBits : 1,
  localparam int unsigned Slices   = ElemBits > BusWidth ? ElemBits / BusWidth : 1,
  localparam int unsigned IdxBits  = MemSramBaseWidth,
  localparam int unsigned DataBits = Lanes * ElemBits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,
  input  logic                    start_i,
  output logic                    ready_o,
  input  logic [InsnBits-1:0]     insn_i,
  output logic                    done_o,
  output logic                    busy_o,
  // memory write client
  output logic                    wr_req_valid_o,
  input  logic                    wr_req_ready_i,
  output logic [AxiAddrWidth-1:0] wr_req_addr_o,
  output logic [31:0]             wr_req_beats_o,
  output logic                    wr_valid_o,
  input  logic                    wr_ready_i,
  output logic [BusWidth-1:0]     wr_data_o,
  output logic [BusWidth/8-1:0]   wr_strb_o,
  input  logic                    mem_wr_idle_i,
  // scratchpad read port
  output logic                    rd_en_o,
  output logic [IdxBits-1:0]      rd_idx_o,
  input  logic [DataBits-1:0]     rd_data_i
);
  localparam int unsigned SliceBits = Slices > 1 ? $clog2(Slices) : 1;
  localparam int unsigned FifoDepth = 4;
  localparam int unsigned MetaBits  = Lanes > 1 ? Lanes : SliceBits;
  localparam int unsigned ElemBytes = ElemBits / 8;

  typedef enum logic [1:0] {StIdle, StRun, StDrain, StDone} state_e;

  mem_insn_t insn;
  logic      go, rows_busy, issue, last_issue, room;
  state_e    st_q, st_d;
  logic [15:0] xs_q, xs_d, rows_q, rows_d;
  logic [IdxBits-1:0] srow_q, srow_d;   // SRAM index of the current row's first element
  logic [IdxBits-1:0] issue_idx;
  logic [MetaBits-1:0] issue_meta;      // slice number or lane mask of the read being issued
  logic        row_last_beat;
  logic        v1_q, v1_d;              // a read was issued last cycle
  logic [MetaBits-1:0] meta1_q, meta1_d;
  logic [BusWidth-1:0] beat_data;
  logic [BusWidth/8-1:0] beat_strb;
  logic        fifo_ready, fifo_valid;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;

  assign insn    = mem_insn_t'(insn_i);
  assign ready_o = st_q == StIdle;
  assign go      = start_i && ready_o;
  assign done_o  = st_q == StDone;
  assign busy_o  = st_q != StIdle;

  vta_dma_rows #(
    .ElemBits    (ElemBits),
    .LogElemBytes(LogElemBytes)
  ) u_rows (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i    (go),
    .dram_base_i(insn.dram_base),
    .y_size_i   (insn.y_size),
    .x_size_i   (insn.x_size),
    .x_stride_i (insn.x_stride),
    .req_valid_o(wr_req_valid_o),
    .req_ready_i(wr_req_ready_i),
    .req_addr_o (wr_req_addr_o),
    .req_beats_o(wr_req_beats_o),
    .busy_o     (rows_busy)
  );

  // A read may be issued when its beat is sure to find room in the FIFO.
  assign room  = 32'(fifo_count) + 32'(v1_q) < 32'(FifoDepth);
  assign issue = st_q == StRun && room;
  assign last_issue = issue && row_last_beat && rows_q == 16'd1;

  assign rd_en_o  = issue;
  assign rd_idx_o = issue_idx;

  // ------------------------------------------------------------------ beat walk within a row
  logic row_start;  // (re)initialise the walk for row srow_d
  logic [Lanes-1:0] walk_lanes;
  logic [SliceBits-1:0] walk_slice;

  vta_row_beats #(.ElemBits(ElemBits)) u_beats (
    .clk_i,
    .rst_ni,
    .init_i     (go),
    .dram_base_i(insn.dram_base),
    .x_size_i   (insn.x_size),
    .x_stride_i (insn.x_stride),
    .row_i      (row_start),
    .row_idx_i  (srow_d),
    .step_i     (issue),
    .idx_o      (issue_idx),
    .lanes_o    (walk_lanes),
    .slice_o    (walk_slice),
    .last_o     (row_last_beat)
  );

  if (Lanes == 1) begin : g_wide
    // The beat is one slice of the element read.
    assign issue_meta = MetaBits'(walk_slice);
    assign beat_data  = rd_data_i[meta1_q*BusWidth +: BusWidth];
    assign beat_strb  = '1;
    logic unused_wide;
    assign unused_wide = ^{walk_lanes};
  end else begin : g_narrow
    // The beat is Lanes elements lined up with the DRAM lanes; strobes for those inside the row.
    assign issue_meta = walk_lanes;
    assign beat_data  = rd_data_i;
    always_comb begin
      for (int unsigned k = 0; k < Lanes; k++) begin
        beat_strb[k*ElemBytes +: ElemBytes] = {ElemBytes{meta1_q[k]}};
      end
    end
    logic unused_narrow;
    assign unused_narrow = ^{walk_slice};
  end

  // ------------------------------------------------------------------ control
  always_comb begin
    st_d      = st_q;
    xs_d      = xs_q;
    rows_d    = rows_q;
    srow_d    = srow_q;
    row_start = 1'b0;
    unique case (st_q)
      StIdle: begin
        if (go) begin
          xs_d      = insn.x_size;
          rows_d    = insn.y_size;
          srow_d    = insn.sram_base;
          row_start = 1'b1;
          st_d      = (insn.x_size == '0 || insn.y_size == '0) ? StDone : StRun;
        end
      end
      StRun: begin
        if (issue && row_last_beat) begin
          rows_d    = rows_q - 1'b1;
          srow_d    = srow_q + xs_q;
          row_start = 1'b1;
          if (last_issue) st_d = StDrain;
        end
      end
      StDrain: begin
        if (!v1_q && !fifo_valid && !rows_busy && mem_wr_idle_i) st_d = StDone;
      end
      StDone: st_d = StIdle;
      default: st_d = StIdle;
    endcase
    if (clr_i) st_d = StIdle;
  end

  assign v1_d    = issue && !clr_i;
  assign meta1_d = issue ? issue_meta : meta1_q;

  vta_fifo #(
    .Width(BusWidth + BusWidth / 8),
    .Depth(FifoDepth)
  ) u_beat_fifo (
    .clk_i,
    .rst_ni,
    .clr_i,
    .valid_i(v1_q),
    .ready_o(fifo_ready),
    .data_i ({beat_strb, beat_data}),
    .valid_o(fifo_valid),
    .ready_i(wr_ready_i),
    .data_o ({wr_strb_o, wr_data_o}),
    .count_o(fifo_count)
  );
  assign wr_valid_o = fifo_valid;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q      <= StIdle;
      xs_q      <= '0;
      rows_q    <= '0;
      srow_q    <= '0;
      v1_q      <= 1'b0;
      meta1_q   <= '0;
    end else begin
      st_q      <= st_d;
      xs_q      <= xs_d;
      rows_q    <= rows_d;
      srow_q    <= srow_d;
      v1_q      <= v1_d;
      meta1_q   <= meta1_d;
    end
  end

  logic unused_store;
  assign unused_store = ^{fifo_ready, insn};
endmodule
