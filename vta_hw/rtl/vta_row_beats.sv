// Beat-by-beat walk of the rows of a 2D DMA (shared by tensor load and
// store): for the current bus beat of a row, the scratchpad index of lane 0,
// the lanes inside the row, the element slice the beat carries and whether it
// is the row's last beat.
//
// * ElemBits >= BusWidth: Slices beats per element; the beat carries slice
//   `slice_o` of element `idx_o`.
// * ElemBits < BusWidth: Lanes elements per beat; a row starting at DRAM
//   element e starts at lane e % Lanes of its first beat, so lane k of beat j
//   is row element j*Lanes + k - e % Lanes (`lanes_o` marks those inside the
//   row). Row r starts at DRAM element dram_base + r*x_stride.
module vta_row_beats
  import vta_pkg::*;
#(
  parameter int unsigned ElemBits = InpElemBits,
  localparam int unsigned Lanes     = ElemBits < BusWidth ? BusWidth / ElemBits : 1,
  localparam int unsigned Slices    = ElemBits > BusWidth ? ElemBits / BusWidth : 1,
  localparam int unsigned SliceBits = Slices > 1 ? $clog2(Slices) : 1,
  localparam int unsigned IdxBits   = MemSramBaseWidth
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // a new instruction (its first row is started with row_i, possibly in the same cycle)
  input  logic                 init_i,
  input  logic [31:0]          dram_base_i,
  input  logic [15:0]          x_size_i,
  input  logic [15:0]          x_stride_i,
  // start a row whose first element is scratchpad element row_idx_i
  input  logic                 row_i,
  input  logic [IdxBits-1:0]   row_idx_i,
  // the current beat is done
  input  logic                 step_i,
  output logic [IdxBits-1:0]   idx_o,
  output logic [Lanes-1:0]     lanes_o,
  output logic [SliceBits-1:0] slice_o,
  output logic                 last_o
);
  localparam int unsigned PosBits = 18;

  logic [15:0] xs_q, xs_d;

  assign xs_d = init_i ? x_size_i : xs_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) xs_q <= '0;
    else         xs_q <= xs_d;
  end

  if (Lanes == 1) begin : g_wide
    logic [IdxBits-1:0]   base_q, base_d;
    logic [15:0]          x_q, x_d;
    logic [SliceBits-1:0] slice_q, slice_d;
    logic                 last_slice;

    assign last_slice = Slices == 1 || int'(slice_q) == Slices - 1;
    assign idx_o      = base_q + IdxBits'(x_q);
    assign lanes_o    = 1'b1;
    assign slice_o    = slice_q;
    assign last_o     = last_slice && (x_q == xs_q - 1'b1);

    always_comb begin
      base_d  = base_q;
      x_d     = x_q;
      slice_d = slice_q;
      if (step_i) begin
        slice_d = last_slice ? '0 : slice_q + 1'b1;
        if (last_slice) x_d = x_q + 1'b1;
      end
      if (row_i) begin
        base_d  = row_idx_i;
        x_d     = '0;
        slice_d = '0;
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        base_q  <= '0;
        x_q     <= '0;
        slice_q <= '0;
      end else begin
        base_q  <= base_d;
        x_q     <= x_d;
        slice_q <= slice_d;
      end
    end

    logic unused_wide;
    assign unused_wide = ^{dram_base_i, x_stride_i};
  end else begin : g_narrow
    localparam int unsigned LogLanes = $clog2(Lanes);
    logic [LogLanes-1:0] stride_lo_q, stride_lo_d, ce_lo_q, ce_lo_d, lane0_q, lane0_d;
    logic [IdxBits-1:0]  wbase_q, wbase_d;
    logic [PosBits-1:0]  pos_q, pos_d, bleft_q, bleft_d;

    assign idx_o   = wbase_q;
    assign slice_o = '0;
    assign last_o  = bleft_q == PosBits'(1);

    always_comb begin
      for (int unsigned k = 0; k < Lanes; k++) begin
        lanes_o[k] = (pos_q + PosBits'(k) >= PosBits'(lane0_q))
                     && (pos_q + PosBits'(k) < PosBits'(lane0_q) + PosBits'(xs_q));
      end
    end

    always_comb begin
      stride_lo_d = stride_lo_q;
      ce_lo_d     = ce_lo_q;   // lane of the first element of the current (then next) row
      lane0_d     = lane0_q;
      wbase_d     = wbase_q;
      pos_d       = pos_q;
      bleft_d     = bleft_q;
      if (step_i) begin
        wbase_d = wbase_q + IdxBits'(Lanes);
        pos_d   = pos_q + PosBits'(Lanes);
        bleft_d = bleft_q - 1'b1;
        if (last_o) ce_lo_d = ce_lo_q + stride_lo_q;
      end
      if (init_i) begin
        stride_lo_d = x_stride_i[LogLanes-1:0];
        ce_lo_d     = dram_base_i[LogLanes-1:0];
      end
      if (row_i) begin
        lane0_d = ce_lo_d;
        wbase_d = row_idx_i - IdxBits'(ce_lo_d);
        pos_d   = '0;
        bleft_d = (PosBits'(ce_lo_d) + PosBits'(xs_d) + PosBits'(Lanes - 1)) >> LogLanes;
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        stride_lo_q <= '0;
        ce_lo_q     <= '0;
        lane0_q     <= '0;
        wbase_q     <= '0;
        pos_q       <= '0;
        bleft_q     <= '0;
      end else begin
        stride_lo_q <= stride_lo_d;
        ce_lo_q     <= ce_lo_d;
        lane0_q     <= lane0_d;
        wbase_q     <= wbase_d;
        pos_q       <= pos_d;
        bleft_q     <= bleft_d;
      end
    end

    logic unused_narrow;
    assign unused_narrow = ^{dram_base_i, x_stride_i};
  end
endmodule
