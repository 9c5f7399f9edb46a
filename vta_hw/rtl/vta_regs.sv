// Control and status registers behind an AXI4-Lite slave (map: vta_hw/regmap.py
// via vta_pkg). One transaction at a time per direction; unmapped addresses
// read as zero and ignore writes; responses are always OKAY.
//
// Writing control with the launch bit set while idle starts a run (launch_o
// pulse); when the run ends (finish_i) control becomes 0b10 and stays so
// until the host writes it. Status and error_insn are cleared at launch.
module vta_regs
  import vta_pkg::*;
(
  input  logic                                    clk_i,
  input  logic                                    rst_ni,
  // AXI4-Lite slave (protocol signal names, see docs/hardware.md)
  input  logic [HostAddrBits-1:0]                 s_axil_awaddr,
  input  logic                                    s_axil_awvalid,
  output logic                                    s_axil_awready,
  input  logic [HostDataBits-1:0]                 s_axil_wdata,
  input  logic [HostDataBits/8-1:0]               s_axil_wstrb,
  input  logic                                    s_axil_wvalid,
  output logic                                    s_axil_wready,
  output logic [1:0]                              s_axil_bresp,
  output logic                                    s_axil_bvalid,
  input  logic                                    s_axil_bready,
  input  logic [HostAddrBits-1:0]                 s_axil_araddr,
  input  logic                                    s_axil_arvalid,
  output logic                                    s_axil_arready,
  output logic [HostDataBits-1:0]                 s_axil_rdata,
  output logic [1:0]                              s_axil_rresp,
  output logic                                    s_axil_rvalid,
  input  logic                                    s_axil_rready,
  // accelerator side
  output logic                                    launch_o,
  output logic [HostDataBits-1:0]                 insn_count_o,
  output logic [HostDataBits-1:0]                 insn_addr_o,
  input  logic                                    busy_i,
  input  logic                                    finish_i,
  input  logic                                    err_i,
  input  logic [ErrCodeBits-1:0]                  err_code_i,
  input  logic [HostDataBits-1:0]                 err_insn_i,
  input  logic [NumCounters-1:0][CounterBits-1:0] counters_i,
  output logic                                    irq_o
);
  localparam int unsigned WordLsb = $clog2(HostDataBits / 8);

  logic [NumRwRegs-1:0][HostDataBits-1:0] rw_q, rw_d;
  logic                    err_q, err_d;
  logic [ErrCodeBits-1:0]  err_code_q, err_code_d;
  logic [HostDataBits-1:0] err_insn_q, err_insn_d;

  logic                    aw_full_q, aw_full_d, w_full_q, w_full_d, bvalid_q, bvalid_d;
  logic [HostAddrBits-1:0] awaddr_q, awaddr_d;
  logic [HostDataBits-1:0] wdata_q, wdata_d;
  logic [HostDataBits/8-1:0] wstrb_q, wstrb_d;
  logic                    ar_full_q, ar_full_d, rvalid_q, rvalid_d;
  logic [HostAddrBits-1:0] araddr_q, araddr_d;
  logic [HostDataBits-1:0] rdata_q, rdata_d;
  logic                    do_write, do_read;
  logic [HostDataBits-1:0] status, rd_word, wmask, ctrl_new;

  // ------------------------------------------------------------------ AXI4-Lite handshakes
  assign s_axil_awready = !aw_full_q;
  assign s_axil_wready  = !w_full_q;
  assign s_axil_bvalid  = bvalid_q;
  assign s_axil_bresp   = AxiRespOkay;
  assign s_axil_arready = !ar_full_q && !rvalid_q;
  assign s_axil_rvalid  = rvalid_q;
  assign s_axil_rdata   = rdata_q;
  assign s_axil_rresp   = AxiRespOkay;

  assign do_write = aw_full_q && w_full_q && !bvalid_q;
  // A read address is registered first, its data the cycle after (no combinational path from
  // the bus inputs into the read multiplexer).
  assign do_read  = ar_full_q;

  always_comb begin
    aw_full_d = aw_full_q;
    w_full_d  = w_full_q;
    awaddr_d  = awaddr_q;
    wdata_d   = wdata_q;
    wstrb_d   = wstrb_q;
    bvalid_d  = bvalid_q;
    if (s_axil_awvalid && s_axil_awready) begin
      aw_full_d = 1'b1;
      awaddr_d  = s_axil_awaddr;
    end
    if (s_axil_wvalid && s_axil_wready) begin
      w_full_d = 1'b1;
      wdata_d  = s_axil_wdata;
      wstrb_d  = s_axil_wstrb;
    end
    if (do_write) begin
      aw_full_d = 1'b0;
      w_full_d  = 1'b0;
      bvalid_d  = 1'b1;
    end
    if (bvalid_q && s_axil_bready) bvalid_d = 1'b0;
  end

  // ------------------------------------------------------------------ register file
  always_comb begin
    for (int unsigned b = 0; b < HostDataBits / 8; b++) wmask[b*8 +: 8] = {8{wstrb_q[b]}};
  end

  assign ctrl_new = (rw_q[RwControl] & ~wmask) | (wdata_q & wmask);

  always_comb begin
    rw_d       = rw_q;
    err_d      = err_q;
    err_code_d = err_code_q;
    err_insn_d = err_insn_q;
    launch_o   = 1'b0;
    if (do_write) begin
      for (int unsigned i = 0; i < NumRwRegs; i++) begin
        if (awaddr_q[HostAddrBits-1:WordLsb] == RwRegOffset[i][HostAddrBits-1:WordLsb]) begin
          rw_d[i] = (rw_q[i] & ~wmask) | (wdata_q & wmask);
        end
      end
      // The control register cannot be rewritten during a run.
      if (busy_i) rw_d[RwControl] = rw_q[RwControl];
      if (awaddr_q[HostAddrBits-1:WordLsb] == RegControl[HostAddrBits-1:WordLsb]
          && ctrl_new[CtrlLaunchBit] && !busy_i) begin
        launch_o   = 1'b1;
        err_d      = 1'b0;
        err_code_d = '0;
        err_insn_d = '0;
      end
    end
    if (err_i && !err_q) begin
      err_d      = 1'b1;
      err_code_d = err_code_i;
      err_insn_d = err_insn_i;
    end
    if (finish_i) rw_d[RwControl] = HostDataBits'(1) << CtrlFinishBit;
  end

  assign irq_o        = rw_q[RwControl][CtrlFinishBit];
  assign insn_count_o = rw_q[RwInsnCount];
  assign insn_addr_o  = rw_q[RwInsnAddr];

  always_comb begin
    status = '0;
    status[StatusBusyBit]  = busy_i;
    status[StatusErrorBit] = err_q;
    status[StatusErrorCodeLsb +: ErrCodeBits] = err_code_q;
  end

  always_comb begin
    rd_word = '0;
    for (int unsigned i = 0; i < NumRwRegs; i++) begin
      if (araddr_q[HostAddrBits-1:WordLsb] == RwRegOffset[i][HostAddrBits-1:WordLsb]) rd_word = rw_q[i];
    end
    for (int unsigned i = 0; i < NumCounters; i++) begin
      if (araddr_q[HostAddrBits-1:WordLsb] == CounterOffset[i][HostAddrBits-1:WordLsb]) begin
        rd_word = counters_i[i];
      end
    end
    if (araddr_q[HostAddrBits-1:WordLsb] == RegStatus[HostAddrBits-1:WordLsb])    rd_word = status;
    if (araddr_q[HostAddrBits-1:WordLsb] == RegErrorInsn[HostAddrBits-1:WordLsb]) rd_word = err_insn_q;
  end

  always_comb begin
    ar_full_d = ar_full_q;
    araddr_d  = araddr_q;
    rvalid_d  = rvalid_q;
    rdata_d   = rdata_q;
    if (s_axil_arvalid && s_axil_arready) begin
      ar_full_d = 1'b1;
      araddr_d  = s_axil_araddr;
    end
    if (do_read) begin
      ar_full_d = 1'b0;
      rvalid_d  = 1'b1;
      rdata_d   = rd_word;
    end else if (rvalid_q && s_axil_rready) begin
      rvalid_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rw_q       <= '0;
      err_q      <= 1'b0;
      err_code_q <= '0;
      err_insn_q <= '0;
      aw_full_q  <= 1'b0;
      w_full_q   <= 1'b0;
      awaddr_q   <= '0;
      wdata_q    <= '0;
      wstrb_q    <= '0;
      bvalid_q   <= 1'b0;
      ar_full_q  <= 1'b0;
      araddr_q   <= '0;
      rvalid_q   <= 1'b0;
      rdata_q    <= '0;
    end else begin
      rw_q       <= rw_d;
      err_q      <= err_d;
      err_code_q <= err_code_d;
      err_insn_q <= err_insn_d;
      aw_full_q  <= aw_full_d;
      w_full_q   <= w_full_d;
      awaddr_q   <= awaddr_d;
      wdata_q    <= wdata_d;
      wstrb_q    <= wstrb_d;
      bvalid_q   <= bvalid_d;
      ar_full_q  <= ar_full_d;
      araddr_q   <= araddr_d;
      rvalid_q   <= rvalid_d;
      rdata_q    <= rdata_d;
    end
  end

  logic unused_addr;
  assign unused_addr = ^{awaddr_q[WordLsb-1:0], araddr_q[WordLsb-1:0]};
endmodule
