// Pending token pushes of one compute unit (vta_compute's dual issue): an
// instruction's pushes may happen once it and every older instruction have
// retired. Each record counts the unit's own instructions up to and
// including its instruction that have not retired yet, and the other unit's
// instructions older than it that have not; both count down as the units
// retire instructions (each unit retires in order), and the oldest record
// is offered (head_o) once both are zero. The parent computes the counts of
// a new record after this clock's retirements.
module vta_push_queue #(
  parameter int unsigned Depth   = 4,
  parameter int unsigned CntBits = 4
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clr_i,
  // a new record
  input  logic               add_i,
  input  logic [1:0]         flags_i,  // {push_next_dep, push_prev_dep}
  input  logic [CntBits-1:0] own_i,
  input  logic [CntBits-1:0] older_i,
  output logic               full_o,
  output logic               empty_o,
  // retirements this clock
  input  logic               own_retire_i,
  input  logic               other_retire_i,
  // the oldest record's flags when it may push (else 0), taken with pop_i
  output logic [1:0]         head_o,
  input  logic               pop_i
);
  logic [Depth-1:0]              valid_q, valid_d;
  logic [Depth-1:0][1:0]         flags_q, flags_d;
  logic [Depth-1:0][CntBits-1:0] own_q, own_d, older_q, older_d;
  logic [$clog2(Depth+1)-1:0]    n;

  always_comb begin
    n = '0;
    for (int unsigned i = 0; i < Depth; i++) n += $bits(n)'(valid_q[i]);
  end

  assign full_o  = valid_q[Depth-1];
  assign empty_o = !valid_q[0];
  assign head_o  = (valid_q[0] && own_q[0] == '0 && older_q[0] == '0) ? flags_q[0] : 2'b00;

  always_comb begin
    valid_d = valid_q;
    flags_d = flags_q;
    for (int unsigned i = 0; i < Depth; i++) begin
      own_d[i]   = own_q[i] - CntBits'(own_retire_i && own_q[i] != '0);
      older_d[i] = older_q[i] - CntBits'(other_retire_i && older_q[i] != '0);
    end
    if (pop_i) begin
      for (int unsigned i = 0; i + 1 < Depth; i++) begin
        valid_d[i] = valid_d[i+1];
        flags_d[i] = flags_d[i+1];
        own_d[i]   = own_d[i+1];
        older_d[i] = older_d[i+1];
      end
      valid_d[Depth-1] = 1'b0;
    end
    if (add_i) begin
      for (int unsigned i = 0; i < Depth; i++) begin
        if (i == 32'(n) - 32'(pop_i)) begin
          valid_d[i] = 1'b1;
          flags_d[i] = flags_i;
          own_d[i]   = own_i;
          older_d[i] = older_i;
        end
      end
    end
    if (clr_i) valid_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      flags_q <= '0;
      own_q   <= '0;
      older_q <= '0;
    end else begin
      valid_q <= valid_d;
      flags_q <= flags_d;
      own_q   <= own_d;
      older_q <= older_d;
    end
  end
endmodule
