// Instructions one compute unit has in flight (vta_compute's dual issue):
// dispatched, not yet retired, oldest first, each with its ACC/OUT bank set
// (vta_footprint). A unit retires its instructions in order, so a retirement
// drops the oldest. banks_o is the union over those still in flight: a
// younger instruction of the other unit may overlap them only outside it.
module vta_inflight #(
  parameter int unsigned Depth   = 8,
  parameter int unsigned CntBits = $clog2(Depth + 1)
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clr_i,
  input  logic               add_i,     // an instruction is dispatched to the unit
  input  logic [1:0]         banks_i,
  input  logic               retire_i,  // the unit's oldest instruction retires
  output logic               full_o,
  output logic [CntBits-1:0] count_o,
  output logic [1:0]         banks_o
);
  logic [Depth-1:0]      valid_q, valid_d;
  logic [Depth-1:0][1:0] banks_q, banks_d;
  logic [CntBits-1:0]    n;

  always_comb begin
    n       = '0;
    banks_o = 2'b00;
    for (int unsigned i = 0; i < Depth; i++) begin
      n += CntBits'(valid_q[i]);
      if (valid_q[i]) banks_o = banks_o | banks_q[i];
    end
  end

  assign count_o = n;
  assign full_o  = valid_q[Depth-1];

  always_comb begin
    valid_d = valid_q;
    banks_d = banks_q;
    if (retire_i) begin
      for (int unsigned i = 0; i + 1 < Depth; i++) begin
        valid_d[i] = valid_q[i+1];
        banks_d[i] = banks_q[i+1];
      end
      valid_d[Depth-1] = 1'b0;
    end
    if (add_i) begin
      for (int unsigned i = 0; i < Depth; i++) begin
        if (i == 32'(n) - 32'(retire_i)) begin
          valid_d[i] = 1'b1;
          banks_d[i] = banks_i;
        end
      end
    end
    if (clr_i) valid_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      banks_q <= '0;
    end else begin
      valid_q <= valid_d;
      banks_q <= banks_d;
    end
  end
endmodule
