// Request generator of a 2D DMA: one memory-engine transfer per row of
// `y_size` rows of `x_size` elements, row r starting at DRAM element
// `dram_base + r * x_stride` (semantics.md LOAD/STORE). A row is requested
// as whole bus beats: when elements are narrower than the bus, the transfer
// starts at the beat holding the first element (its lane is
// `element % Lanes`) and ends at the beat holding the last.
module vta_dma_rows
  import vta_pkg::*;
#(
  parameter int unsigned ElemBits     = InpElemBits,
  parameter int unsigned LogElemBytes = LogInpElemBytes,
  localparam int unsigned Lanes  = ElemBits < BusWidth ? BusWidth / ElemBits : 1,
  localparam int unsigned Slices = ElemBits > BusWidth ? ElemBits / BusWidth : 1
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,
  input  logic                    start_i,
  input  logic [31:0]             dram_base_i,
  input  logic [15:0]             y_size_i,
  input  logic [15:0]             x_size_i,
  input  logic [15:0]             x_stride_i,
  output logic                    req_valid_o,
  input  logic                    req_ready_i,
  output logic [AxiAddrWidth-1:0] req_addr_o,
  output logic [31:0]             req_beats_o,
  output logic                    busy_o
);
  logic [15:0] rows_q, rows_d, xs_q, xs_d, stride_q, stride_d;
  logic [31:0] elem_q, elem_d;

  if (Lanes == 1) begin : g_wide
    assign req_addr_o  = AxiAddrWidth'(elem_q) << LogElemBytes;
    assign req_beats_o = 32'(xs_q) << $clog2(Slices);
  end else begin : g_narrow
    localparam int unsigned LogLanes = $clog2(Lanes);
    logic [LogLanes-1:0] lane0;
    assign lane0       = elem_q[LogLanes-1:0];
    assign req_addr_o  = AxiAddrWidth'({elem_q[31:LogLanes], LogLanes'(0)}) << LogElemBytes;
    assign req_beats_o = (32'(lane0) + 32'(xs_q) + 32'(Lanes - 1)) >> LogLanes;
  end

  assign req_valid_o = rows_q != '0;
  assign busy_o      = rows_q != '0;

  always_comb begin
    rows_d   = rows_q;
    xs_d     = xs_q;
    stride_d = stride_q;
    elem_d   = elem_q;
    if (req_valid_o && req_ready_i) begin
      rows_d = rows_q - 1'b1;
      elem_d = elem_q + 32'(stride_q);
    end
    if (start_i) begin
      rows_d   = (x_size_i == '0) ? '0 : y_size_i;
      xs_d     = x_size_i;
      stride_d = x_stride_i;
      elem_d   = dram_base_i;
    end
    if (clr_i) rows_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rows_q   <= '0;
      xs_q     <= '0;
      stride_q <= '0;
      elem_q   <= '0;
    end else begin
      rows_q   <= rows_d;
      xs_q     <= xs_d;
      stride_q <= stride_d;
      elem_q   <= elem_d;
    end
  end
endmodule
