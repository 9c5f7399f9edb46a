// Free-running event counters (wrap at CounterBits), cleared at launch.
module vta_event_counters
  import vta_pkg::*;
#(
  parameter int unsigned N = NumCounters
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  input  logic                           clr_i,
  input  logic [N-1:0][1:0]              inc_i,  // per counter: add 0..3
  output logic [N-1:0][CounterBits-1:0]  count_o
);
  logic [N-1:0][CounterBits-1:0] cnt_q, cnt_d;

  always_comb begin
    for (int unsigned i = 0; i < N; i++) begin
      cnt_d[i] = clr_i ? '0 : cnt_q[i] + CounterBits'(inc_i[i]);
    end
  end

  assign count_o = cnt_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) cnt_q <= '0;
    else         cnt_q <= cnt_d;
  end
endmodule
