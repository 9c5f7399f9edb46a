// Dependency-token counter between two stages (semantics.md "Fetch, queues
// and tokens"): a push adds a token, a pop takes one. A push to a full
// counter stalls (push_ready_o low); a pop waits for a token (pop_valid_o).
module vta_dep_counter
  import vta_pkg::*;
#(
  parameter int unsigned Bits = DepCounterBits
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  input  logic            clr_i,
  input  logic            push_valid_i,
  output logic            push_ready_o,
  output logic            pop_valid_o,
  input  logic            pop_ready_i,
  output logic [Bits-1:0] count_o
);
  logic [Bits-1:0] cnt_q, cnt_d;
  logic push, pop;

  assign push_ready_o = ~&cnt_q;
  assign pop_valid_o  = |cnt_q;
  assign push         = push_valid_i && push_ready_o;
  assign pop          = pop_valid_o && pop_ready_i;
  assign count_o      = cnt_q;

  always_comb begin
    cnt_d = cnt_q;
    if (push && !pop) cnt_d = cnt_q + 1'b1;
    if (pop && !push) cnt_d = cnt_q - 1'b1;
    if (clr_i)        cnt_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) cnt_q <= '0;
    else         cnt_q <= cnt_d;
  end
endmodule
