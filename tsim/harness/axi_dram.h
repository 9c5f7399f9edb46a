// AXI4 slave memory model over a byte buffer owned by the caller (the Python
// Dram arena): reads and writes go straight to that buffer, no copies.
//
// Timing: a read burst's first beat is offered `read_latency` cycles after its
// AR handshake; beats follow at up to `read_beats_per_cycle`; at most
// `max_reads` read bursts are outstanding (AR stalls beyond that). Writes are
// accepted once their AW has been (W before AW waits, which AXI allows a slave
// to do), at up to `write_beats_per_cycle`; B follows the last beat after
// `write_latency` cycles. Responses come back in request order.
//
// Errors never touch memory outside the buffer: a burst that leaves the
// buffer is answered with SLVERR (reads return zeros, writes are dropped).
// Protocol violations by the master (non-INCR burst, beat wider than the bus,
// a burst crossing 4 KiB, WLAST in the wrong place) are also answered with
// SLVERR and counted, and the first one is described in violation().
#ifndef TSIM_AXI_DRAM_H_
#define TSIM_AXI_DRAM_H_

#include <cstdint>
#include <deque>
#include <string>

namespace tsim {

constexpr unsigned kMaxBusBytes = 64;  // 512-bit bus
constexpr uint8_t kRespOkay = 0;
constexpr uint8_t kRespSlvErr = 2;

struct DramParams {
  uint32_t read_latency;         // cycles from AR handshake to the first R beat (>= 1)
  uint32_t write_latency;        // cycles from the last W beat to B (>= 1)
  double read_beats_per_cycle;   // (0, 1]
  double write_beats_per_cycle;  // (0, 1]
  uint32_t max_reads;            // outstanding read bursts (>= 1)
  uint32_t max_writes;           // outstanding write bursts (>= 1)
};

// Master outputs sampled before a rising edge.
struct AxiMasterOut {
  bool ar_valid = false;
  uint8_t ar_id = 0, ar_len = 0, ar_size = 0, ar_burst = 0;
  uint32_t ar_addr = 0;
  bool r_ready = false;
  bool aw_valid = false;
  uint8_t aw_id = 0, aw_len = 0, aw_size = 0, aw_burst = 0;
  uint32_t aw_addr = 0;
  bool w_valid = false;
  bool w_last = false;
  uint64_t w_strb = 0;
  uint8_t w_data[kMaxBusBytes] = {};
  bool b_ready = false;
};

// Slave outputs driven during a cycle.
struct AxiSlaveOut {
  bool ar_ready = false;
  bool r_valid = false;
  uint8_t r_id = 0, r_resp = 0;
  bool r_last = false;
  uint8_t r_data[kMaxBusBytes] = {};
  bool aw_ready = false;
  bool w_ready = false;
  bool b_valid = false;
  uint8_t b_id = 0, b_resp = 0;
};

struct DramCounters {
  uint64_t rd_bursts = 0, rd_beats = 0, wr_bursts = 0, wr_beats = 0;
  uint64_t rd_errors = 0, wr_errors = 0, violations = 0;
  uint64_t rd_busy_cycles = 0;  // cycles with a read burst outstanding
  uint64_t wr_busy_cycles = 0;  // cycles with a write burst outstanding
};

class AxiDram {
 public:
  AxiDram(uint8_t* mem, uint64_t size, unsigned bus_bytes, const DramParams& params);

  // Drop every burst in flight (the RTL is being reset).
  void reset();
  // The outputs for the current cycle.
  const AxiSlaveOut& out() const { return out_; }
  // Apply the handshakes of the rising edge ending cycle `cycle` (master
  // outputs `m` against out()), then compute out() for cycle + 1.
  void clock(const AxiMasterOut& m, uint64_t cycle);
  // True when no burst is in flight (nothing for clock() to do while the master is idle).
  bool quiet() const { return reads_.empty() && writes_.empty() && resps_.empty(); }

  const DramCounters& counters() const { return counters_; }
  void clear_counters() { counters_ = DramCounters(); }
  const std::string& violation() const { return violation_; }
  void clear_violation() { violation_.clear(); }

 private:
  struct Burst {
    uint8_t id;
    uint32_t addr;      // address of the first beat
    uint32_t beats;     // len + 1
    uint32_t done;      // beats transferred
    uint8_t size;       // log2 bytes per beat
    uint8_t resp;       // OKAY or SLVERR for the whole burst
    uint64_t ready_at;  // cycle from which the first R beat (or B) may be offered
  };

  uint8_t check_burst(const char* dir, uint8_t id, uint32_t addr, uint8_t len, uint8_t size, uint8_t burst);
  uint64_t beat_word(const Burst& b) const;  // bus-aligned address of the current beat
  void note_violation(const std::string& what);

  uint8_t* mem_;
  uint64_t size_;
  unsigned bus_bytes_;
  unsigned log_bus_bytes_;
  DramParams p_;
  std::deque<Burst> reads_;   // accepted AR, in order
  std::deque<Burst> writes_;  // accepted AW still receiving data
  std::deque<Burst> resps_;   // writes waiting for their B
  double rd_credit_ = 1.0;
  double wr_credit_ = 1.0;
  AxiSlaveOut out_;
  DramCounters counters_;
  std::string violation_;
};

}  // namespace tsim

#endif  // TSIM_AXI_DRAM_H_
