// Fetch: reads the instruction stream (insn_count instructions from
// insn_addr) through its memory-engine read client, validates each
// instruction and dispatches it in order to the load, compute or store
// command queue (semantics.md "Fetch, queues and tokens").
//
// Reads are only requested for room the local beat buffer has reserved, so
// read data never waits on the command queues (no head-of-line blocking of
// the shared read channel). Instructions the hardware cannot execute stop
// fetch and raise err_o with the code and the instruction index.
module vta_fetch
  import vta_pkg::*;
(
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,
  input  logic                    start_i,
  input  logic [31:0]             insn_count_i,
  input  logic [AxiAddrWidth-1:0] insn_addr_i,
  // memory read client
  output logic                    rd_req_valid_o,
  input  logic                    rd_req_ready_i,
  output logic [AxiAddrWidth-1:0] rd_req_addr_o,
  output logic [31:0]             rd_req_beats_o,
  input  logic                    rd_valid_i,
  output logic                    rd_ready_o,
  input  logic [BusWidth-1:0]     rd_data_i,
  // dispatch to the command queues (shared payload)
  output logic [InsnBits-1:0]     insn_o,
  output logic [31:0]             idx_o,
  output logic                    ld_valid_o,
  input  logic                    ld_ready_i,
  output logic                    co_valid_o,
  input  logic                    co_ready_i,
  output logic                    st_valid_o,
  input  logic                    st_ready_i,
  // errors and status
  output logic                    err_o,
  output logic [ErrCodeBits-1:0]  err_code_o,
  output logic                    busy_o,
  output logic [31:0]             cur_idx_o
);
  localparam int unsigned BusBytes   = BusWidth / 8;
  localparam int unsigned BufBeats   = FetchBufInsns * InsnBits / BusWidth > 0
                                       ? FetchBufInsns * InsnBits / BusWidth : 1;
  localparam int unsigned ChunkBeats = BufBeats > 1 ? BufBeats / 2 : 1;
  localparam int unsigned CreditBits = $clog2(BufBeats + 1);
  localparam int unsigned LeftBits   = 40;

  // ------------------------------------------------------------------ requests
  logic [AxiAddrWidth-1:0] req_addr_q, req_addr_d;
  logic [LeftBits-1:0]     req_left_q, req_left_d;
  logic [CreditBits-1:0]   credit_q, credit_d;
  logic [LeftBits-1:0]     chunk;
  logic                    req_fire, beat_pop;

  always_comb begin
    chunk = req_left_q;
    if (chunk > LeftBits'(ChunkBeats)) chunk = LeftBits'(ChunkBeats);
  end

  assign rd_req_valid_o = (req_left_q != '0) && (LeftBits'(credit_q) >= chunk);
  assign rd_req_addr_o  = req_addr_q;
  assign rd_req_beats_o = 32'(chunk);
  assign req_fire       = rd_req_valid_o && rd_req_ready_i;

  always_comb begin
    req_addr_d = req_addr_q;
    req_left_d = req_left_q;
    credit_d   = credit_q;
    if (req_fire) begin
      req_addr_d = req_addr_q + (AxiAddrWidth'(chunk) << LogBusBytes);
      req_left_d = req_left_q - chunk;
    end
    credit_d = credit_q - (req_fire ? CreditBits'(chunk) : '0) + CreditBits'(beat_pop);
    if (start_i) begin
      req_addr_d = insn_addr_i & ~AxiAddrWidth'(BusBytes - 1);
      req_left_d = insn_count_i == '0 ? '0
                   : (LeftBits'(insn_addr_i[LogBusBytes-1:0]) + (LeftBits'(insn_count_i) << LogInsnBytes)
                      + LeftBits'(BusBytes - 1)) >> LogBusBytes;
      credit_d   = CreditBits'(BufBeats);
    end
    if (clr_i) req_left_d = '0;
  end

  // ------------------------------------------------------------------ beat buffer
  logic                buf_valid;
  logic [BusWidth-1:0] buf_data;
  logic [$clog2(BufBeats+1)-1:0] buf_count;

  vta_fifo #(
    .Width(BusWidth),
    .Depth(BufBeats)
  ) u_beat_buf (
    .clk_i,
    .rst_ni,
    .clr_i  (clr_i),
    .valid_i(rd_valid_i),
    .ready_o(rd_ready_o),
    .data_i (rd_data_i),
    .valid_o(buf_valid),
    .ready_i(beat_pop),
    .data_o (buf_data),
    .count_o(buf_count)
  );

  // ------------------------------------------------------------------ unpack beats into instructions
  logic                dec_valid_q, dec_valid_d;
  logic [InsnBits-1:0] dec_insn_q, dec_insn_d;
  logic [31:0]         dec_idx_q, dec_idx_d;
  logic [31:0]         unpack_left_q, unpack_left_d, next_idx_q, next_idx_d;
  logic [31:0]         disp_left_q, disp_left_d;
  logic                dec_free, dispatch, halt_q, halt_d;
  logic                take;          // an instruction moves from the unpacker to the decode register
  logic [InsnBits-1:0] unpacked;
  logic                unpacked_valid;

  if (BusWidth <= InsnBits) begin : g_gather
    // Several beats per instruction: gather them, lowest word first.
    localparam int unsigned K = InsnBits / BusWidth;
    localparam int unsigned GBits = K > 1 ? $clog2(K) : 1;
    logic [GBits-1:0]    gcnt_q, gcnt_d;
    logic [InsnBits-1:0] gbuf_q, gbuf_d;
    logic                last_beat;

    assign last_beat = int'(gcnt_q) == K - 1;
    if (K > 1) begin : g_multi
      assign unpacked = {buf_data, gbuf_q[InsnBits-1:BusWidth]};
    end else begin : g_one
      assign unpacked = buf_data;
    end
    assign unpacked_valid = buf_valid && last_beat && (unpack_left_q != '0);
    assign take     = unpacked_valid && dec_free;
    assign beat_pop = buf_valid && (last_beat ? take : 1'b1);

    always_comb begin
      gcnt_d = gcnt_q;
      gbuf_d = gbuf_q;
      if (beat_pop) begin
        gbuf_d = unpacked;
        gcnt_d = last_beat ? '0 : gcnt_q + 1'b1;
      end
      if (clr_i || start_i) gcnt_d = '0;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        gcnt_q <= '0;
        gbuf_q <= '0;
      end else begin
        gcnt_q <= gcnt_d;
        gbuf_q <= gbuf_d;
      end
    end
  end else begin : g_split
    // Several instructions per beat: walk the lanes, starting at the lane of insn_addr.
    localparam int unsigned P = BusWidth / InsnBits;
    localparam int unsigned LogP = $clog2(P);
    logic [LogP-1:0] lane_q, lane_d;
    logic            beat_done;

    assign unpacked       = buf_data[lane_q*InsnBits +: InsnBits];
    assign unpacked_valid = buf_valid && (unpack_left_q != '0);
    assign take           = unpacked_valid && dec_free;
    assign beat_done      = (int'(lane_q) == P - 1) || (unpack_left_q == 32'd1);
    // Bytes past the last instruction in its beat are dropped with the beat.
    assign beat_pop       = take && beat_done;

    always_comb begin
      lane_d = lane_q;
      if (take) lane_d = beat_done ? '0 : lane_q + 1'b1;
      if (start_i) lane_d = insn_addr_i[LogBusBytes-1:LogInsnBytes];
      if (clr_i) lane_d = '0;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) lane_q <= '0;
      else         lane_q <= lane_d;
    end
  end

  // ------------------------------------------------------------------ decode, check and dispatch
  mem_insn_t mem;
  alu_insn_t alu;
  logic to_ld, to_co, to_st, bad;
  logic [ErrCodeBits-1:0] code;

  assign mem = mem_insn_t'(dec_insn_q);
  assign alu = alu_insn_t'(dec_insn_q);

  always_comb begin
    to_ld = 1'b0;
    to_co = 1'b0;
    to_st = 1'b0;
    bad   = 1'b0;
    code  = ErrNone;
    unique case (opcode_e'(mem.opcode))
      OpcodeLoad: begin
        unique case (mem_type_e'(mem.memory_type))
          MemTypeInp, MemTypeWgt: begin
            to_ld = 1'b1;
            if (mem.pop_prev_dep || mem.push_prev_dep) begin
              bad  = 1'b1;
              code = ErrIllegalDependencyFlag;
            end
          end
          MemTypeUop, MemTypeAcc: to_co = 1'b1;
          default: begin
            bad  = 1'b1;
            code = ErrUnknownMemoryType;
          end
        endcase
      end
      OpcodeStore: begin
        to_st = 1'b1;
        if (mem.x_size != '0 && mem_type_e'(mem.memory_type) != MemTypeOut) begin
          bad  = 1'b1;
          code = ErrUnknownMemoryType;
        end else if (mem.pop_next_dep || mem.push_next_dep) begin
          bad  = 1'b1;
          code = ErrIllegalDependencyFlag;
        end
      end
      OpcodeGemm, OpcodeFinish: to_co = 1'b1;
      OpcodeAlu: begin
        to_co = 1'b1;
        if (alu.alu_opcode > AluOpMul) begin
          bad  = 1'b1;
          code = ErrUnknownAluOpcode;
        end
      end
      default: begin
        bad  = 1'b1;
        code = ErrUnknownOpcode;
      end
    endcase
  end

  assign insn_o     = dec_insn_q;
  assign idx_o      = dec_idx_q;
  assign ld_valid_o = dec_valid_q && !halt_q && !bad && to_ld;
  assign co_valid_o = dec_valid_q && !halt_q && !bad && to_co;
  assign st_valid_o = dec_valid_q && !halt_q && !bad && to_st;
  assign dispatch   = (ld_valid_o && ld_ready_i) || (co_valid_o && co_ready_i) || (st_valid_o && st_ready_i);
  assign dec_free   = !dec_valid_q || dispatch;
  assign err_o      = dec_valid_q && !halt_q && bad;
  assign err_code_o = code;
  assign busy_o     = (disp_left_q != '0) && !halt_q;
  assign cur_idx_o  = dec_idx_q;

  always_comb begin
    dec_valid_d   = dec_valid_q;
    dec_insn_d    = dec_insn_q;
    dec_idx_d     = dec_idx_q;
    unpack_left_d = unpack_left_q;
    next_idx_d    = next_idx_q;
    disp_left_d   = disp_left_q;
    halt_d        = halt_q || err_o;
    if (dispatch) begin
      dec_valid_d = 1'b0;
      disp_left_d = disp_left_q - 1'b1;
    end
    if (take) begin
      dec_valid_d   = 1'b1;
      dec_insn_d    = unpacked;
      dec_idx_d     = next_idx_q;
      next_idx_d    = next_idx_q + 1'b1;
      unpack_left_d = unpack_left_q - 1'b1;
    end
    if (start_i) begin
      unpack_left_d = insn_count_i;
      disp_left_d   = insn_count_i;
      next_idx_d    = '0;
      halt_d        = 1'b0;
    end
    if (clr_i) begin
      dec_valid_d   = 1'b0;
      unpack_left_d = '0;
      disp_left_d   = '0;
      halt_d        = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      req_addr_q    <= '0;
      req_left_q    <= '0;
      credit_q      <= '0;
      dec_valid_q   <= 1'b0;
      dec_insn_q    <= '0;
      dec_idx_q     <= '0;
      unpack_left_q <= '0;
      next_idx_q    <= '0;
      disp_left_q   <= '0;
      halt_q        <= 1'b0;
    end else begin
      req_addr_q    <= req_addr_d;
      req_left_q    <= req_left_d;
      credit_q      <= credit_d;
      dec_valid_q   <= dec_valid_d;
      dec_insn_q    <= dec_insn_d;
      dec_idx_q     <= dec_idx_d;
      unpack_left_q <= unpack_left_d;
      next_idx_q    <= next_idx_d;
      disp_left_q   <= disp_left_d;
      halt_q        <= halt_d;
    end
  end

  logic unused_fetch;
  assign unused_fetch = ^{buf_count, mem, alu};
endmodule
