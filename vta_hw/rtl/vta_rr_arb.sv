// Round-robin arbiter: grants one requester (one-hot); the priority pointer
// moves past the winner when the grant is accepted (`accept_i`).
module vta_rr_arb #(
  parameter int unsigned N = 4,
  localparam int unsigned IdxBits = N > 1 ? $clog2(N) : 1
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic [N-1:0]       req_i,
  input  logic               accept_i,
  output logic [N-1:0]       gnt_o,
  output logic [IdxBits-1:0] idx_o,
  output logic               valid_o
);
  logic [IdxBits-1:0] prio_q, prio_d;

  always_comb begin
    logic found;
    found = 1'b0;
    gnt_o = '0;
    idx_o = '0;
    // Scan from the priority pointer, wrapping around; the first request wins.
    for (int unsigned off = 0; off < N; off++) begin
      logic [IdxBits-1:0] i;
      i = (int'(prio_q) + off >= N) ? IdxBits'(int'(prio_q) + off - N) : IdxBits'(int'(prio_q) + off);
      if (!found && req_i[i]) begin
        found    = 1'b1;
        gnt_o[i] = 1'b1;
        idx_o    = i;
      end
    end
    valid_o = found;
  end

  always_comb begin
    prio_d = prio_q;
    if (valid_o && accept_i) prio_d = (int'(idx_o) == N - 1) ? '0 : idx_o + 1'b1;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) prio_q <= '0;
    else         prio_q <= prio_d;
  end
endmodule
