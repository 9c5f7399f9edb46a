// The C interface of a TSIM library (one Verilated vta_top + harness), loaded
// by vta.tsim.binding through ctypes. Every call is made from one thread at a
// time per handle; different handles are independent.
#ifndef TSIM_API_H_
#define TSIM_API_H_

#include <stdint.h>

#define TSIM_API extern "C" __attribute__((visibility("default")))

// Bumped whenever a signature or TsimParams changes; the binding checks it.
#define TSIM_ABI_VERSION 1

// Return codes. Run results are >= 0, failures < 0.
#define TSIM_OK 0
#define TSIM_RUN_FINISHED 0     // irq_o rose (control.finish set)
#define TSIM_RUN_CYCLE_LIMIT 1  // max_cycles stepped without finish
#define TSIM_RUN_TIMEOUT 2      // the wall-clock limit passed without finish
#define TSIM_RUN_STOPPED 3      // the RTL executed $finish, $stop, $error or a failed assertion
#define TSIM_ERR_FATAL -1       // Verilator raised a fatal error; tsim_reset() rebuilds the model
#define TSIM_ERR_BUS -2         // an AXI4-Lite register access was not answered or got an error
#define TSIM_ERR_ARG -3         // a bad argument (offset, path, tracing not built in)

typedef struct {
  uint32_t read_latency;         // cycles from AR to the first R beat
  uint32_t write_latency;        // cycles from the last W beat to B
  double read_beats_per_cycle;   // (0, 1]
  double write_beats_per_cycle;  // (0, 1]
  uint32_t max_reads;            // outstanding read bursts
  uint32_t max_writes;           // outstanding write bursts
  uint32_t reset_cycles;         // cycles rst_ni is held low by tsim_reset
  uint32_t reg_timeout_cycles;   // cycles a register access may take
} TsimParams;

// Library facts (checked by the binding against the Config it was built for).
TSIM_API int tsim_abi_version(void);
TSIM_API int tsim_bus_bytes(void);
TSIM_API int tsim_has_trace(void);
TSIM_API int tsim_num_registers(void);
TSIM_API uint32_t tsim_register_offset(int index);
TSIM_API const char* tsim_register_name(int index);

// Create a model over `mem` (the DRAM arena, `mem_size` bytes, owned by the
// caller and alive until tsim_destroy) and reset it. NULL on failure, with a
// reason in `err`.
TSIM_API void* tsim_create(uint8_t* mem, uint64_t mem_size, const TsimParams* params, char* err, int err_len);
TSIM_API void tsim_destroy(void* handle);
// Hold reset, drop bursts in flight, clear RTL $stop state; rebuilds the model after a fatal error.
TSIM_API int tsim_reset(void* handle);

TSIM_API int tsim_reg_write(void* handle, uint32_t offset, uint32_t value);
TSIM_API int tsim_reg_read(void* handle, uint32_t offset, uint32_t* value);
// Read every register of the map into values[0 .. tsim_num_registers()).
TSIM_API int tsim_read_registers(void* handle, uint32_t* values);
// The host protocol: write insn_count and insn_addr, then 1 to control.
TSIM_API int tsim_launch(void* handle, uint32_t insn_addr, uint32_t insn_count);
// Step the clock until irq_o is high, at most max_cycles, at most timeout_s
// seconds of wall clock; *stepped receives the cycles stepped.
TSIM_API int tsim_run(void* handle, uint64_t max_cycles, double timeout_s, uint64_t* stepped);
// Step exactly n cycles (or until a fatal error / RTL stop).
TSIM_API int tsim_step(void* handle, uint64_t n);
TSIM_API uint64_t tsim_cycle(void* handle);
// 1 if the library evaluates the model once per clock cycle, 2 if also at the falling edge.
TSIM_API int tsim_evals_per_cycle(void* handle);
TSIM_API int tsim_irq(void* handle);

// DRAM model counters: rd_bursts, rd_beats, wr_bursts, wr_beats, rd_errors,
// wr_errors, violations, rd_busy_cycles, wr_busy_cycles (TSIM_NUM_DRAM_COUNTERS).
#define TSIM_NUM_DRAM_COUNTERS 9
TSIM_API void tsim_dram_counters(void* handle, uint64_t* values);
TSIM_API void tsim_clear_dram_counters(void* handle);
// The first AXI protocol violation since the last clear ("" if none).
TSIM_API const char* tsim_violation(void* handle);
// What the last failing call failed on.
TSIM_API const char* tsim_last_error(void* handle);

// FST waveform (only in libraries built with tracing; TSIM_ERR_ARG otherwise).
TSIM_API int tsim_trace_open(void* handle, const char* path);
TSIM_API int tsim_trace_close(void* handle);

#endif  // TSIM_API_H_
