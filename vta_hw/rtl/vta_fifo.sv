// Synchronous first-word-fall-through FIFO with ready/valid on both sides.
//
// Storage is an array read combinationally at the head (LUT RAM or flops);
// `clr_i` empties the FIFO (pointers only; entries are not cleared).
module vta_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned CntBits = $clog2(Depth + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clr_i,
  input  logic               valid_i,
  output logic               ready_o,
  input  logic [Width-1:0]   data_i,
  output logic               valid_o,
  input  logic               ready_i,
  output logic [Width-1:0]   data_o,
  output logic [CntBits-1:0] count_o
);
  localparam int unsigned PtrBits = Depth > 1 ? $clog2(Depth) : 1;
  localparam logic [PtrBits-1:0] LastPtr = PtrBits'(Depth - 1);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrBits-1:0] wptr_q, wptr_d, rptr_q, rptr_d;
  logic [CntBits-1:0] cnt_q, cnt_d;
  logic push, pop;

  assign ready_o = cnt_q != CntBits'(Depth);
  assign valid_o = cnt_q != '0;
  assign data_o  = mem_q[rptr_q];
  assign count_o = cnt_q;
  assign push    = valid_i && ready_o;
  assign pop     = valid_o && ready_i;

  always_comb begin
    wptr_d = wptr_q;
    rptr_d = rptr_q;
    cnt_d  = cnt_q;
    if (push) wptr_d = (wptr_q == LastPtr) ? '0 : wptr_q + 1'b1;
    if (pop)  rptr_d = (rptr_q == LastPtr) ? '0 : rptr_q + 1'b1;
    if (push && !pop) cnt_d = cnt_q + 1'b1;
    if (pop && !push) cnt_d = cnt_q - 1'b1;
    if (clr_i) begin
      wptr_d = '0;
      rptr_d = '0;
      cnt_d  = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      cnt_q  <= '0;
    end else begin
      wptr_q <= wptr_d;
      rptr_q <= rptr_d;
      cnt_q  <= cnt_d;
    end
  end

  // Storage (memory write, the one exception to the `_q <= _d` rule).
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wptr_q] <= data_i;
  end
endmodule
