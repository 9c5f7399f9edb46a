// 2D DMA from DRAM into a scratchpad with zero padding (semantics.md LOAD),
// for any memory type: the SRAM side is dense from sram_base, W = x_pad_0 +
// x_size + x_pad_1 elements per row, y_pad_0 zero rows first and y_pad_1 zero
// rows last. x_size == 0 is a NOP.
//
// Data beats are written as they arrive, a bus-wide slice of an element per
// beat (ElemBits >= BusWidth) or up to Lanes elements per beat (narrower
// elements); runs of zeros are written a slice-free element (or Lanes
// elements) per cycle. done_o pulses once the last write has been issued.
module vta_tensor_load
  import vta_pkg::*;
#(
  parameter int unsigned ElemBits     = InpElemBits,
  parameter int unsigned LogElemBytes = LogInpElemBytes,
  localparam int unsigned Lanes    = ElemBits < BusWidth ? BusWidth / ElemBits : 1,
  localparam int unsigned Slices   = ElemBits > BusWidth ? ElemBits / BusWidth : 1,
  localparam int unsigned IdxBits  = MemSramBaseWidth,
  localparam int unsigned DataBits = Lanes * ElemBits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,
  input  logic                    start_i,
  output logic                    ready_o,
  input  logic [InsnBits-1:0]     insn_i,
  output logic                    done_o,
  output logic                    busy_o,
  // memory read client
  output logic                    rd_req_valid_o,
  input  logic                    rd_req_ready_i,
  output logic [AxiAddrWidth-1:0] rd_req_addr_o,
  output logic [31:0]             rd_req_beats_o,
  input  logic                    rd_valid_i,
  output logic                    rd_ready_o,
  input  logic [BusWidth-1:0]     rd_data_i,
  // scratchpad write port
  output logic                    wr_en_o,
  output logic [IdxBits-1:0]      wr_idx_o,
  output logic [Lanes-1:0]        wr_lane_en_o,
  output logic [Slices-1:0]       wr_slice_en_o,
  output logic [DataBits-1:0]     wr_data_o
);
  localparam int unsigned ZBits     = 24;  // zero-run length: up to 15 rows of 2**16+29 elements

  typedef enum logic [1:0] {StIdle, StZero, StData, StDone} state_e;

  mem_insn_t insn;
  logic      go;
  state_e    st_q, st_d;
  logic [15:0] xs_q, xs_d, rows_q, rows_d;  // rows: data rows not yet finished
  logic [ZBits-1:0] zmid_q, zmid_d, zlast_q, zlast_d, zleft_q, zleft_d;
  logic [IdxBits-1:0] ptr_q, ptr_d;        // next SRAM element to write
  logic        rows_busy, beat, row_end, enter_row;
  logic [16:0] width;                      // W
  logic [ZBits-1:0] zfirst, zn;            // zeros in this cycle (ZERO state)

  assign insn    = mem_insn_t'(insn_i);
  assign ready_o = st_q == StIdle;
  assign go      = start_i && ready_o;
  assign done_o  = st_q == StDone;
  assign busy_o  = st_q != StIdle;

  vta_dma_rows #(
    .ElemBits    (ElemBits),
    .LogElemBytes(LogElemBytes)
  ) u_rows (
    .clk_i,
    .rst_ni,
    .clr_i,
    .start_i    (go),
    .dram_base_i(insn.dram_base),
    .y_size_i   (insn.y_size),
    .x_size_i   (insn.x_size),
    .x_stride_i (insn.x_stride),
    .req_valid_o(rd_req_valid_o),
    .req_ready_i(rd_req_ready_i),
    .req_addr_o (rd_req_addr_o),
    .req_beats_o(rd_req_beats_o),
    .busy_o     (rows_busy)
  );

  assign width  = 17'(insn.x_pad_0) + 17'(insn.x_size) + 17'(insn.x_pad_1);
  assign zfirst = insn.y_size == '0 ? (ZBits'(insn.y_pad_0) + ZBits'(insn.y_pad_1)) * ZBits'(width)
                                    : ZBits'(insn.y_pad_0 * width) + ZBits'(insn.x_pad_0);
  assign zn     = zleft_q > ZBits'(Lanes) ? ZBits'(Lanes) : zleft_q;

  assign rd_ready_o = st_q == StData;
  assign beat       = rd_valid_i && rd_ready_o;

  // ------------------------------------------------------------------ per-row beat walk
  logic [Lanes-1:0] data_lanes;
  logic [IdxBits-1:0] data_idx;
  logic [Slices-1:0] data_slices;
  logic [(Slices > 1 ? $clog2(Slices) : 1)-1:0] data_slice;
  logic last_beat_of_row;

  vta_row_beats #(.ElemBits(ElemBits)) u_beats (
    .clk_i,
    .rst_ni,
    .init_i     (go),
    .dram_base_i(insn.dram_base),
    .x_size_i   (insn.x_size),
    .x_stride_i (insn.x_stride),
    .row_i      (enter_row),
    .row_idx_i  (ptr_d),
    .step_i     (beat),
    .idx_o      (data_idx),
    .lanes_o    (data_lanes),
    .slice_o    (data_slice),
    .last_o     (last_beat_of_row)
  );

  always_comb begin
    data_slices = '0;
    data_slices[data_slice] = 1'b1;
  end

  assign row_end = beat && last_beat_of_row;

  // ------------------------------------------------------------------ segment sequencing
  always_comb begin
    st_d      = st_q;
    xs_d      = xs_q;
    rows_d    = rows_q;
    zmid_d    = zmid_q;
    zlast_d   = zlast_q;
    zleft_d   = zleft_q;
    ptr_d     = ptr_q;
    enter_row = 1'b0;
    unique case (st_q)
      StIdle: begin
        if (go) begin
          xs_d      = insn.x_size;
          rows_d    = insn.y_size;
          zmid_d    = ZBits'(insn.x_pad_1) + ZBits'(insn.x_pad_0);
          zlast_d   = ZBits'(insn.x_pad_1) + ZBits'(insn.y_pad_1 * width);
          ptr_d     = insn.sram_base;
          zleft_d   = zfirst;
          if (insn.x_size == '0) begin
            st_d = StDone;
          end else if (zfirst != '0) begin
            st_d = StZero;
          end else if (insn.y_size != '0) begin
            st_d      = StData;
            enter_row = 1'b1;
          end else begin
            st_d = StDone;
          end
        end
      end
      StZero: begin
        ptr_d   = ptr_q + IdxBits'(zn);
        zleft_d = zleft_q - zn;
        if (zleft_q == zn) begin
          if (rows_q != '0) begin
            st_d      = StData;
            enter_row = 1'b1;
          end else begin
            st_d = StDone;
          end
        end
      end
      StData: begin
        if (row_end) begin
          ptr_d  = ptr_q + xs_q;  // the row's data; the walk tracks positions inside it
          rows_d = rows_q - 1'b1;
          zleft_d = (rows_q == 16'd1) ? zlast_q : zmid_q;
          if (zleft_d != '0) begin
            st_d = StZero;
          end else if (rows_q != 16'd1) begin
            enter_row = 1'b1;
          end else begin
            st_d = StDone;
          end
        end
      end
      StDone: st_d = StIdle;
      default: st_d = StIdle;
    endcase
    if (clr_i) st_d = StIdle;
  end

  // ------------------------------------------------------------------ scratchpad writes
  // Every bus-wide slice of the write data is the beat, or zeros in the ZERO state (DataBits is
  // Slices * BusWidth for every element width). One assignment per slice rather than a
  // replication, which for the widest elements is past Verilator's replication limit.
  for (genvar s = 0; s < Slices; s++) begin : g_wr_data
    assign wr_data_o[s*BusWidth +: BusWidth] = (st_q == StZero) ? '0 : rd_data_i;
  end

  always_comb begin
    wr_en_o       = 1'b0;
    wr_idx_o      = ptr_q;
    wr_lane_en_o  = '0;
    wr_slice_en_o = '1;
    if (st_q == StZero) begin
      wr_en_o   = 1'b1;
      for (int unsigned k = 0; k < Lanes; k++) wr_lane_en_o[k] = ZBits'(k) < zn;
    end else if (beat) begin
      wr_en_o       = 1'b1;
      wr_idx_o      = data_idx;
      wr_lane_en_o  = data_lanes;
      wr_slice_en_o = data_slices;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q      <= StIdle;
      xs_q      <= '0;
      rows_q    <= '0;
      zmid_q    <= '0;
      zlast_q   <= '0;
      zleft_q   <= '0;
      ptr_q     <= '0;
    end else begin
      st_q      <= st_d;
      xs_q      <= xs_d;
      rows_q    <= rows_d;
      zmid_q    <= zmid_d;
      zlast_q   <= zlast_d;
      zleft_q   <= zleft_d;
      ptr_q     <= ptr_d;
    end
  end

  logic unused_load;
  assign unused_load = ^{rows_busy, insn};
endmodule
