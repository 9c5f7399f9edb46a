// In-order executor of one stage's memory instructions with dependency
// tokens (semantics.md "Fetch, queues and tokens"): wait for and take a
// token if the instruction pops, start the DMA engine it selects (nothing
// for an x_size == 0 NOP), wait for it, then add a token if it pushes.
// The load stage uses the *_next_dep flags (g2l, l2g), the store stage the
// *_prev_dep flags (g2s, s2g); fetch has already rejected the others.
module vta_stage_ctrl
  import vta_pkg::*;
#(
  parameter bit UsePrevFlags = 1'b0
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                clr_i,
  // command queue
  input  logic                cmd_valid_i,
  output logic                cmd_ready_o,
  input  logic [InsnBits-1:0] cmd_insn_i,
  input  logic [31:0]         cmd_idx_i,
  // tokens
  input  logic                pop_valid_i,
  output logic                pop_ready_o,
  output logic                push_valid_o,
  input  logic                push_ready_i,
  // DMA engine(s): the parent routes start_o to the engine of the command's memory type
  output logic                start_o,
  input  logic                engine_ready_i,
  input  logic                engine_done_i,
  // status
  output logic                busy_o,
  output logic                stall_o,
  output logic [31:0]         cur_idx_o
);
  typedef enum logic [1:0] {StIdle, StExec, StPush} state_e;

  mem_insn_t   cmd;
  state_e      st_q, st_d;
  logic        push_q, push_d;
  logic [31:0] idx_q, idx_d;
  logic        pops, pushes, is_nop, tok_ok, go;

  assign cmd    = mem_insn_t'(cmd_insn_i);
  assign pops   = UsePrevFlags ? cmd.pop_prev_dep : cmd.pop_next_dep;
  assign pushes = UsePrevFlags ? cmd.push_prev_dep : cmd.push_next_dep;
  assign is_nop = cmd.x_size == '0;
  assign tok_ok = !pops || pop_valid_i;
  assign go     = st_q == StIdle && cmd_valid_i && tok_ok && (is_nop || engine_ready_i);

  assign cmd_ready_o  = go;
  assign pop_ready_o  = go && pops;
  assign start_o      = go && !is_nop;
  assign push_valid_o = st_q == StPush;

  always_comb begin
    st_d   = st_q;
    push_d = push_q;
    idx_d  = idx_q;
    unique case (st_q)
      StIdle: begin
        if (go) begin
          push_d = pushes;
          idx_d  = cmd_idx_i;
          st_d   = !is_nop ? StExec : (pushes ? StPush : StIdle);
        end
      end
      StExec: begin
        if (engine_done_i) st_d = push_q ? StPush : StIdle;
      end
      StPush: begin
        if (push_ready_i) st_d = StIdle;
      end
      default: st_d = StIdle;
    endcase
    if (clr_i) st_d = StIdle;
  end

  assign busy_o    = st_q != StIdle;
  assign stall_o   = (st_q == StIdle && cmd_valid_i && !tok_ok) || (st_q == StPush && !push_ready_i);
  assign cur_idx_o = idx_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q   <= StIdle;
      push_q <= 1'b0;
      idx_q  <= '0;
    end else begin
      st_q   <= st_d;
      push_q <= push_d;
      idx_q  <= idx_d;
    end
  end

  logic unused_cmd;
  assign unused_cmd = ^{cmd};
endmodule
