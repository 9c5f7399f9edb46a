// Drives the Verilated top (class Vtop, ports of vta_top): clock and reset,
// the AXI4 DRAM model on the memory port, an AXI4-Lite master on the
// register port, and the run loop, all in C++ so that Python makes a handful
// of calls per program rather than one per cycle.
//
// Built by vta.tsim.build with -DTSIM_BUS_BYTES=<Config.bus_bytes> and, for
// traced libraries, -DTSIM_TRACE. vta_regs.h is generated from vta_hw/regmap.py.
//
// One eval() per clock cycle. The top's outputs must be functions of its state
// only (no combinational path from an input port to an output port; the build
// checks the Verilated code and otherwise compiles with -DTSIM_EVAL_NEGEDGE).
// Then the values settled by the rising-edge eval are the next cycle's outputs,
// and inputs applied after it are seen by the next rising-edge eval (its
// input-combinational phase runs before the flops update). The falling edge
// needs no eval: the model is told the clock went low by resetting its
// edge-detect state. Traced libraries and -DTSIM_EVAL_NEGEDGE evaluate the
// falling edge too (two evals per cycle, the usual Verilator loop), which also
// gives the waveform its second half-cycle.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "Vtop.h"
#if __has_include("Vtop___024root.h")
#include "Vtop___024root.h"
#endif
#include "axi_dram.h"
#include "tsim_api.h"
#include "verilated.h"
#include "vta_regs.h"
#if defined(TSIM_TRACE) && defined(TSIM_TRACE_VCD)
#include "verilated_vcd_c.h"
using TraceFile = VerilatedVcdC;
#elif defined(TSIM_TRACE)
#include "verilated_fst_c.h"
using TraceFile = VerilatedFstC;
#endif

namespace {

using tsim::AxiDram;
using tsim::AxiMasterOut;
using tsim::AxiSlaveOut;

template <typename T>
using Port = std::remove_reference_t<T>;

#if (defined(TSIM_TRACE) || !__has_include("Vtop___024root.h")) && !defined(TSIM_EVAL_NEGEDGE)
#define TSIM_EVAL_NEGEDGE 1
#endif

#ifndef TSIM_EVAL_NEGEDGE
// Tell the model that clk_i was low, as an eval with clk_i = 0 would: Verilator keeps the
// clock's value from the previous eval to detect the next rising edge. False (and the caller
// evaluates the falling edge) if this Verilator version names that state differently.
template <typename Root>
auto mark_clock_low(Root& root, int) -> decltype(root.__Vtrigprevexpr___TOP__clk_i__0 = 0, bool()) {
  root.__Vtrigprevexpr___TOP__clk_i__0 = 0;
  return true;
}
template <typename Root>
bool mark_clock_low(Root&, long) {
  return false;
}
#endif

// After clk_i was set low: true if the falling-edge eval could be skipped.
inline bool settle_clock_low(Vtop& top) {
#ifndef TSIM_EVAL_NEGEDGE
  if (mark_clock_low(*top.rootp, 0)) return true;
#endif
  top.eval();
  return false;
}

constexpr unsigned kBusBytes = sizeof(Port<decltype(std::declval<Vtop>().m_axi_rdata)>);
static_assert(kBusBytes == TSIM_BUS_BYTES, "the RTL's m_axi_rdata width differs from Config.bus_width");
static_assert(kBusBytes <= tsim::kMaxBusBytes, "bus wider than 512 bits");

// Copy bus-wide data between byte buffers and Verilated ports (QData or VlWide).
template <typename T>
inline void put_port(T& port, const uint8_t* src) {
  if constexpr (std::is_integral_v<T>) {
    T v = 0;
    std::memcpy(&v, src, sizeof(T));
    port = v;
  } else {
    std::memcpy(port.data(), src, kBusBytes);
  }
}

template <typename T>
inline void get_port(const T& port, uint8_t* dst) {
  if constexpr (std::is_integral_v<T>) {
    std::memcpy(dst, &port, sizeof(T));
  } else {
    std::memcpy(dst, port.data(), kBusBytes);
  }
}

// Raised by vl_fatal (Verilator's internal fatal errors) instead of exiting the process.
struct VerilatorFatal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Sim;
thread_local Sim* g_current = nullptr;  // the model running on this thread, for the vl_* hooks

// One in-flight AXI4-Lite access of the host.
struct LiteAccess {
  bool write = false;
  uint32_t addr = 0, wdata = 0, rdata = 0;
  uint8_t resp = 0;
  bool aw_done = false, w_done = false, ar_done = false, done = false;
};

class Sim {
 public:
  Sim(uint8_t* mem, uint64_t mem_size, const TsimParams& p)
      : params_(p),
        dram_(mem, mem_size, kBusBytes,
              tsim::DramParams{p.read_latency, p.write_latency, p.read_beats_per_cycle, p.write_beats_per_cycle,
                               p.max_reads, p.max_writes}) {
    build_model();
  }

  ~Sim() { close_trace(); }

  std::string last_error;
  std::string stop_message;  // set by the vl_finish/vl_stop hooks

  void build_model() {
    top_.reset();
    ctx_ = std::make_unique<VerilatedContext>();
    ctx_->fatalOnError(false);
#ifdef TSIM_TRACE
    ctx_->traceEverOn(true);
#endif
    top_ = std::make_unique<Vtop>(ctx_.get(), "TOP");
    model_ok_ = true;
  }

  // ------------------------------------------------------------ clocking
  void apply_inputs() {
    const AxiSlaveOut& s = dram_.out();
    Vtop& t = *top_;
    t.m_axi_arready = s.ar_ready;
    t.m_axi_rvalid = s.r_valid;
    if (s.r_valid) {
      t.m_axi_rid = s.r_id;
      t.m_axi_rresp = s.r_resp;
      t.m_axi_rlast = s.r_last;
      put_port(t.m_axi_rdata, s.r_data);
    }
    t.m_axi_awready = s.aw_ready;
    t.m_axi_wready = s.w_ready;
    t.m_axi_bvalid = s.b_valid;
    t.m_axi_bid = s.b_id;
    t.m_axi_bresp = s.b_resp;
    // host AXI4-Lite master
    const bool busy = lite_ && !lite_->done;
    t.s_axil_awvalid = busy && lite_->write && !lite_->aw_done;
    t.s_axil_wvalid = busy && lite_->write && !lite_->w_done;
    t.s_axil_awaddr = lite_ ? lite_->addr : 0;
    t.s_axil_wdata = lite_ ? lite_->wdata : 0;
    t.s_axil_wstrb = 0xF;
    t.s_axil_bready = 1;
    t.s_axil_arvalid = busy && !lite_->write && !lite_->ar_done;
    t.s_axil_araddr = lite_ ? lite_->addr : 0;
    t.s_axil_rready = 1;
  }

  void sample(AxiMasterOut& m) {
    const Vtop& t = *top_;
    m.ar_valid = t.m_axi_arvalid;
    if (m.ar_valid) {
      m.ar_id = t.m_axi_arid;
      m.ar_addr = t.m_axi_araddr;
      m.ar_len = t.m_axi_arlen;
      m.ar_size = t.m_axi_arsize;
      m.ar_burst = t.m_axi_arburst;
    }
    m.r_ready = t.m_axi_rready;
    m.aw_valid = t.m_axi_awvalid;
    if (m.aw_valid) {
      m.aw_id = t.m_axi_awid;
      m.aw_addr = t.m_axi_awaddr;
      m.aw_len = t.m_axi_awlen;
      m.aw_size = t.m_axi_awsize;
      m.aw_burst = t.m_axi_awburst;
    }
    m.w_valid = t.m_axi_wvalid;
    if (m.w_valid) {
      m.w_last = t.m_axi_wlast;
      m.w_strb = uint64_t(t.m_axi_wstrb);
      get_port(t.m_axi_wdata, m.w_data);
    }
    m.b_ready = t.m_axi_bready;
  }

  // One clock cycle: handshakes are decided by the values settled before the rising edge
  // (by the previous rising-edge eval, or by the falling-edge eval in two-eval libraries).
  inline void step() {
    Vtop& t = *top_;
    sample(m_);
    const bool lite_busy = lite_ && !lite_->done;
    bool aw_hs = false, w_hs = false, b_hs = false, ar_hs = false, r_hs = false;
    uint32_t rdata = 0;
    uint8_t bresp = 0, rresp = 0;
    if (lite_busy) {
      aw_hs = t.s_axil_awvalid && t.s_axil_awready;
      w_hs = t.s_axil_wvalid && t.s_axil_wready;
      b_hs = t.s_axil_bvalid;
      bresp = t.s_axil_bresp;
      ar_hs = t.s_axil_arvalid && t.s_axil_arready;
      r_hs = t.s_axil_rvalid;
      rdata = t.s_axil_rdata;
      rresp = t.s_axil_rresp;
    }
    t.clk_i = 1;
    t.eval();
    dump(2 * cycle_ + 1);
    dram_.clock(m_, cycle_);
    if (lite_busy) {
      LiteAccess& a = *lite_;
      if (a.write) {
        a.aw_done |= aw_hs;
        a.w_done |= w_hs;
        if (b_hs && a.aw_done && a.w_done) {
          a.resp = bresp;
          a.done = true;
        }
      } else {
        a.ar_done |= ar_hs;
        if (r_hs && a.ar_done) {
          a.rdata = rdata;
          a.resp = rresp;
          a.done = true;
        }
      }
    }
    ++cycle_;
    apply_inputs();
    t.clk_i = 0;
    one_eval_ = settle_clock_low(t);
    dump(2 * cycle_);
  }

  // ------------------------------------------------------------ host
  int reset() {
    if (!model_ok_) build_model();
    dram_.reset();
    lite_.reset();
    ctx_->gotFinish(false);
    ctx_->gotError(false);
    ctx_->errorCount(0);
    stop_message.clear();
    Vtop& t = *top_;
    t.rst_ni = 0;
    t.clk_i = 0;
    apply_inputs();
    t.eval();
    for (uint32_t i = 0; i < std::max<uint32_t>(params_.reset_cycles, 1); ++i) step();
    t.rst_ni = 1;
    step();
    dram_.reset();
    apply_inputs();
    t.eval();
    return TSIM_OK;
  }

  int access(LiteAccess& a) {
    lite_ = std::make_unique<LiteAccess>(a);
    apply_inputs();
    top_->eval();
    uint32_t n = 0;
    while (!lite_->done) {
      if (n++ >= params_.reg_timeout_cycles) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "register %s at 0x%02X not answered within %u cycles",
                      a.write ? "write" : "read", a.addr, params_.reg_timeout_cycles);
        last_error = buf;
        lite_.reset();
        apply_inputs();
        top_->eval();
        return TSIM_ERR_BUS;
      }
      step();
      if (ctx_->gotFinish()) return stopped();
    }
    a = *lite_;
    lite_.reset();
    apply_inputs();
    top_->eval();
    if (a.resp != 0) {
      char buf[120];
      std::snprintf(buf, sizeof buf, "register %s at 0x%02X answered with response %u",
                    a.write ? "write" : "read", a.addr, a.resp);
      last_error = buf;
      return TSIM_ERR_BUS;
    }
    return TSIM_OK;
  }

  int reg_write(uint32_t offset, uint32_t value) {
    LiteAccess a;
    a.write = true;
    a.addr = offset;
    a.wdata = value;
    return access(a);
  }

  int reg_read(uint32_t offset, uint32_t* value) {
    LiteAccess a;
    a.addr = offset;
    const int rc = access(a);
    if (rc == TSIM_OK) *value = a.rdata;
    return rc;
  }

  int stopped() {
    last_error = stop_message.empty() ? std::string("the RTL executed $finish") : stop_message;
    return TSIM_RUN_STOPPED;
  }

  int run(uint64_t max_cycles, double timeout_s, uint64_t* stepped) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s);
    uint64_t n = 0;
    int rc = TSIM_RUN_FINISHED;
    while (!top_->irq_o) {
      if (n >= max_cycles) {
        rc = TSIM_RUN_CYCLE_LIMIT;
        break;
      }
      step();
      ++n;
      if (ctx_->gotFinish()) {
        rc = stopped();
        break;
      }
      if ((n & 0xFFF) == 0 && clock::now() > deadline) {
        rc = TSIM_RUN_TIMEOUT;
        break;
      }
    }
    if (stepped) *stepped = n;
    return rc;
  }

  int step_n(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      step();
      if (ctx_->gotFinish()) return stopped();
    }
    return TSIM_OK;
  }

  // ------------------------------------------------------------ tracing
  int open_trace(const char* path) {
#ifdef TSIM_TRACE
    close_trace();
    trace_ = std::make_unique<TraceFile>();
    top_->trace(trace_.get(), 99);
    trace_->open(path);
    if (!trace_->isOpen()) {
      trace_.reset();
      last_error = std::string("cannot open trace file ") + path;
      return TSIM_ERR_ARG;
    }
    dump(2 * cycle_);
    return TSIM_OK;
#else
    (void)path;
    last_error = "this TSIM library was built without tracing (build with trace=True)";
    return TSIM_ERR_ARG;
#endif
  }

  int close_trace() {
#ifdef TSIM_TRACE
    if (trace_) {
      trace_->close();
      trace_.reset();
    }
#endif
    return TSIM_OK;
  }

  inline void dump(uint64_t t) {
#ifdef TSIM_TRACE
    if (trace_) trace_->dump(t);
#else
    (void)t;
#endif
  }

  void mark_fatal(const char* what) {
    model_ok_ = false;
    last_error = std::string("Verilator fatal error: ") + what + " (the model is rebuilt on reset)";
  }
  bool model_ok() const { return model_ok_; }

  AxiDram& dram() { return dram_; }
  VerilatedContext* context() { return ctx_.get(); }
  uint64_t cycle() const { return cycle_; }
  int evals_per_cycle() const { return one_eval_ ? 1 : 2; }
  bool irq() const { return top_->irq_o; }

 private:
  TsimParams params_;
  AxiDram dram_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vtop> top_;
  std::unique_ptr<LiteAccess> lite_;
  AxiMasterOut m_;
  uint64_t cycle_ = 0;
  bool model_ok_ = false;
  bool one_eval_ = false;  // the last step() skipped the falling-edge eval
#ifdef TSIM_TRACE
  std::unique_ptr<TraceFile> trace_;
#endif
};

// Run `fn` with the model marked current; turn Verilator fatals into a return code.
template <typename F>
int guarded(void* handle, F fn) {
  Sim* sim = static_cast<Sim*>(handle);
  if (sim == nullptr) return TSIM_ERR_ARG;
  if (!sim->model_ok()) {
    sim->last_error = "the model hit a fatal error; call tsim_reset first";
    return TSIM_ERR_FATAL;
  }
  Sim* saved = g_current;
  g_current = sim;
  int rc;
  try {
    rc = fn(*sim);
  } catch (const VerilatorFatal& e) {
    sim->mark_fatal(e.what());
    rc = TSIM_ERR_FATAL;
  }
  g_current = saved;
  return rc;
}

std::string where(const char* filename, int linenum, const char* hier) {
  std::string s;
  if (filename && filename[0]) s += std::string(filename) + ":" + std::to_string(linenum);
  if (hier && hier[0]) s += std::string(s.empty() ? "" : " ") + "(" + hier + ")";
  return s;
}

}  // namespace

// ---------------------------------------------------------------- Verilator hooks
// Compiled with -DVL_USER_FINISH -DVL_USER_STOP -DVL_USER_FATAL so that the RTL
// or Verilator can never exit or abort the Python process.
namespace {
VerilatedContext* hook_context() { return g_current ? g_current->context() : Verilated::threadContextp(); }
}  // namespace

void vl_finish(const char* filename, int linenum, const char* hier) {
  hook_context()->gotFinish(true);
  if (g_current && g_current->stop_message.empty())
    g_current->stop_message = "the RTL executed $finish at " + where(filename, linenum, hier);
}

void vl_stop(const char* filename, int linenum, const char* hier) {
  hook_context()->gotError(true);
  hook_context()->gotFinish(true);
  if (g_current && g_current->stop_message.empty())
    g_current->stop_message = "the RTL stopped ($stop, $error or a failed assertion) at " +
                              where(filename, linenum, hier);
}

void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) {
  hook_context()->gotError(true);
  hook_context()->gotFinish(true);
  throw VerilatorFatal(std::string(msg ? msg : "fatal") + " at " + where(filename, linenum, hier));
}

// ---------------------------------------------------------------- C API
TSIM_API int tsim_abi_version(void) { return TSIM_ABI_VERSION; }
TSIM_API int tsim_bus_bytes(void) { return int(kBusBytes); }
TSIM_API int tsim_has_trace(void) {
#ifdef TSIM_TRACE
  return 1;
#else
  return 0;
#endif
}
TSIM_API int tsim_num_registers(void) { return VTA_NUM_REGS; }
TSIM_API uint32_t tsim_register_offset(int index) {
  return (index >= 0 && index < VTA_NUM_REGS) ? VTA_REGISTERS[index].offset : 0xFFFFFFFFu;
}
TSIM_API const char* tsim_register_name(int index) {
  return (index >= 0 && index < VTA_NUM_REGS) ? VTA_REGISTERS[index].name : "";
}

TSIM_API void* tsim_create(uint8_t* mem, uint64_t mem_size, const TsimParams* params, char* err, int err_len) {
  auto fail = [&](const std::string& why) -> void* {
    if (err && err_len > 0) std::snprintf(err, size_t(err_len), "%s", why.c_str());
    return nullptr;
  };
  if (mem == nullptr || mem_size == 0 || params == nullptr) return fail("tsim_create: no memory or parameters");
  if (mem_size % kBusBytes) return fail("tsim_create: memory size is not a multiple of the bus width");
  if (!(params->read_beats_per_cycle > 0 && params->read_beats_per_cycle <= 1) ||
      !(params->write_beats_per_cycle > 0 && params->write_beats_per_cycle <= 1))
    return fail("tsim_create: beats per cycle must be in (0, 1]");
  Sim* sim = nullptr;
  try {
    sim = new Sim(mem, mem_size, *params);
  } catch (const std::exception& e) {
    return fail(std::string("tsim_create: ") + e.what());
  }
  const int rc = guarded(sim, [](Sim& s) { return s.reset(); });
  if (rc != TSIM_OK) {
    std::string why = sim->last_error;
    delete sim;
    return fail("tsim_create: reset failed: " + why);
  }
  return sim;
}

TSIM_API void tsim_destroy(void* handle) { delete static_cast<Sim*>(handle); }

TSIM_API int tsim_reset(void* handle) {
  Sim* sim = static_cast<Sim*>(handle);
  if (sim == nullptr) return TSIM_ERR_ARG;
  if (!sim->model_ok()) {
    sim->close_trace();
    sim->build_model();
  }
  return guarded(handle, [](Sim& s) { return s.reset(); });
}

TSIM_API int tsim_reg_write(void* handle, uint32_t offset, uint32_t value) {
  return guarded(handle, [&](Sim& s) { return s.reg_write(offset, value); });
}

TSIM_API int tsim_reg_read(void* handle, uint32_t offset, uint32_t* value) {
  if (value == nullptr) return TSIM_ERR_ARG;
  return guarded(handle, [&](Sim& s) { return s.reg_read(offset, value); });
}

TSIM_API int tsim_read_registers(void* handle, uint32_t* values) {
  if (values == nullptr) return TSIM_ERR_ARG;
  return guarded(handle, [&](Sim& s) {
    for (int i = 0; i < VTA_NUM_REGS; ++i) {
      const int rc = s.reg_read(VTA_REGISTERS[i].offset, &values[i]);
      if (rc != TSIM_OK) return rc;
    }
    return TSIM_OK;
  });
}

TSIM_API int tsim_launch(void* handle, uint32_t insn_addr, uint32_t insn_count) {
  return guarded(handle, [&](Sim& s) {
    int rc = s.reg_write(VTA_REG_INSN_COUNT, insn_count);
    if (rc == TSIM_OK) rc = s.reg_write(VTA_REG_INSN_ADDR, insn_addr);
    if (rc == TSIM_OK) rc = s.reg_write(VTA_REG_CONTROL, 1u << VTA_CTRL_LAUNCH_BIT);
    return rc;
  });
}

TSIM_API int tsim_run(void* handle, uint64_t max_cycles, double timeout_s, uint64_t* stepped) {
  if (stepped) *stepped = 0;
  return guarded(handle, [&](Sim& s) { return s.run(max_cycles, timeout_s, stepped); });
}

TSIM_API int tsim_step(void* handle, uint64_t n) {
  return guarded(handle, [&](Sim& s) { return s.step_n(n); });
}

TSIM_API uint64_t tsim_cycle(void* handle) { return handle ? static_cast<Sim*>(handle)->cycle() : 0; }

TSIM_API int tsim_evals_per_cycle(void* handle) {
  return handle ? static_cast<Sim*>(handle)->evals_per_cycle() : 0;
}

TSIM_API int tsim_irq(void* handle) {
  Sim* sim = static_cast<Sim*>(handle);
  return sim && sim->model_ok() && sim->irq() ? 1 : 0;
}

TSIM_API void tsim_dram_counters(void* handle, uint64_t* v) {
  if (handle == nullptr || v == nullptr) return;
  const tsim::DramCounters& c = static_cast<Sim*>(handle)->dram().counters();
  const uint64_t all[TSIM_NUM_DRAM_COUNTERS] = {c.rd_bursts, c.rd_beats,  c.wr_bursts,      c.wr_beats,      c.rd_errors,
                                                c.wr_errors, c.violations, c.rd_busy_cycles, c.wr_busy_cycles};
  std::memcpy(v, all, sizeof all);
}

TSIM_API void tsim_clear_dram_counters(void* handle) {
  if (handle == nullptr) return;
  Sim* sim = static_cast<Sim*>(handle);
  sim->dram().clear_counters();
  sim->dram().clear_violation();
}

TSIM_API const char* tsim_violation(void* handle) {
  return handle ? static_cast<Sim*>(handle)->dram().violation().c_str() : "";
}

TSIM_API const char* tsim_last_error(void* handle) {
  return handle ? static_cast<Sim*>(handle)->last_error.c_str() : "no TSIM handle";
}

TSIM_API int tsim_trace_open(void* handle, const char* path) {
  if (path == nullptr) return TSIM_ERR_ARG;
  return guarded(handle, [&](Sim& s) { return s.open_trace(path); });
}

TSIM_API int tsim_trace_close(void* handle) {
  return guarded(handle, [](Sim& s) { return s.close_trace(); });
}
