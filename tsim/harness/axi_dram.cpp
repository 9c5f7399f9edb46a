// AXI4 slave memory model; see axi_dram.h for the timing and error rules.
#include "axi_dram.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace tsim {

namespace {
constexpr uint8_t kBurstIncr = 1;
constexpr uint64_t kPage = 4096;

unsigned log2u(unsigned v) {
  unsigned n = 0;
  while ((1u << n) < v) ++n;
  return n;
}
}  // namespace

AxiDram::AxiDram(uint8_t* mem, uint64_t size, unsigned bus_bytes, const DramParams& params)
    : mem_(mem), size_(size), bus_bytes_(bus_bytes), log_bus_bytes_(log2u(bus_bytes)), p_(params) {
  p_.read_latency = std::max<uint32_t>(p_.read_latency, 1);
  p_.write_latency = std::max<uint32_t>(p_.write_latency, 1);
  p_.max_reads = std::max<uint32_t>(p_.max_reads, 1);
  p_.max_writes = std::max<uint32_t>(p_.max_writes, 1);
  reset();
}

void AxiDram::reset() {
  reads_.clear();
  writes_.clear();
  resps_.clear();
  rd_credit_ = 1.0;
  wr_credit_ = 1.0;
  out_ = AxiSlaveOut();
  out_.ar_ready = true;
  out_.aw_ready = true;
}

void AxiDram::note_violation(const std::string& what) {
  ++counters_.violations;
  if (violation_.empty()) violation_ = what;
}

uint8_t AxiDram::check_burst(const char* dir, uint8_t id, uint32_t addr, uint8_t len, uint8_t size,
                             uint8_t burst) {
  char buf[200];
  const uint64_t beat_bytes = uint64_t(1) << size;
  const uint64_t first = addr;
  const uint64_t end = (first & ~(beat_bytes - 1)) + (uint64_t(len) + 1) * beat_bytes;
  if (burst != kBurstIncr) {
    std::snprintf(buf, sizeof buf, "%s burst id %u at 0x%08x: burst type %u is not INCR (1)", dir, id, addr,
                  burst);
    note_violation(buf);
    return kRespSlvErr;
  }
  if (size > log_bus_bytes_) {
    std::snprintf(buf, sizeof buf, "%s burst id %u at 0x%08x: beat size %u bytes is wider than the %u-byte bus",
                  dir, id, addr, 1u << size, bus_bytes_);
    note_violation(buf);
    return kRespSlvErr;
  }
  if (first / kPage != (end - 1) / kPage) {
    std::snprintf(buf, sizeof buf, "%s burst id %u at 0x%08x of %u beats x %u bytes crosses a 4 KiB boundary",
                  dir, id, addr, len + 1u, 1u << size);
    note_violation(buf);
    return kRespSlvErr;
  }
  const uint64_t word_end = (end + bus_bytes_ - 1) & ~uint64_t(bus_bytes_ - 1);
  if (word_end > size_) return kRespSlvErr;
  return kRespOkay;
}

uint64_t AxiDram::beat_word(const Burst& b) const {
  const uint64_t beat_bytes = uint64_t(1) << b.size;
  const uint64_t addr = b.done == 0 ? b.addr : (b.addr & ~(beat_bytes - 1)) + b.done * beat_bytes;
  return addr & ~uint64_t(bus_bytes_ - 1);
}

void AxiDram::clock(const AxiMasterOut& m, uint64_t cycle) {
  // ---- handshakes of the edge that ended `cycle`
  if (m.ar_valid && out_.ar_ready) {
    Burst b{m.ar_id, m.ar_addr, uint32_t(m.ar_len) + 1, 0, m.ar_size, 0, cycle + p_.read_latency};
    b.resp = check_burst("read", m.ar_id, m.ar_addr, m.ar_len, m.ar_size, m.ar_burst);
    if (b.resp != kRespOkay) ++counters_.rd_errors;
    reads_.push_back(b);
    ++counters_.rd_bursts;
  }
  if (out_.r_valid && m.r_ready) {
    Burst& b = reads_.front();
    ++b.done;
    ++counters_.rd_beats;
    if (b.done == b.beats) reads_.pop_front();
    out_.r_valid = false;
  }
  if (m.aw_valid && out_.aw_ready) {
    Burst b{m.aw_id, m.aw_addr, uint32_t(m.aw_len) + 1, 0, m.aw_size, 0, 0};
    b.resp = check_burst("write", m.aw_id, m.aw_addr, m.aw_len, m.aw_size, m.aw_burst);
    if (b.resp != kRespOkay) ++counters_.wr_errors;
    writes_.push_back(b);
    ++counters_.wr_bursts;
  }
  if (m.w_valid && out_.w_ready) {
    Burst& b = writes_.front();
    if (b.resp == kRespOkay) {
      uint8_t* dst = mem_ + beat_word(b);
      const uint64_t all = bus_bytes_ == 64 ? ~uint64_t(0) : (uint64_t(1) << bus_bytes_) - 1;
      if ((m.w_strb & all) == all) {
        std::memcpy(dst, m.w_data, bus_bytes_);
      } else {
        for (unsigned i = 0; i < bus_bytes_; ++i) {
          if ((m.w_strb >> i) & 1) dst[i] = m.w_data[i];
        }
      }
    }
    ++b.done;
    ++counters_.wr_beats;
    wr_credit_ -= 1.0;
    const bool last = b.done == b.beats;
    if (m.w_last != last) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "write burst id %u at 0x%08x: WLAST %s on beat %u of %u", b.id, b.addr,
                    m.w_last ? "set" : "missing", b.done, b.beats);
      note_violation(buf);
      b.resp = kRespSlvErr;
    }
    if (last) {
      b.ready_at = cycle + p_.write_latency;
      resps_.push_back(b);
      writes_.pop_front();
    }
  }
  if (out_.b_valid && m.b_ready) {
    resps_.pop_front();
    out_.b_valid = false;
  }

  // ---- outputs for cycle + 1
  const uint64_t next = cycle + 1;
  if (!reads_.empty()) ++counters_.rd_busy_cycles;
  if (!writes_.empty() || !resps_.empty()) ++counters_.wr_busy_cycles;
  out_.ar_ready = reads_.size() < p_.max_reads;
  rd_credit_ = std::min(rd_credit_ + p_.read_beats_per_cycle, 1.0);
  if (!out_.r_valid && !reads_.empty() && reads_.front().ready_at <= next && rd_credit_ >= 1.0) {
    const Burst& b = reads_.front();
    rd_credit_ -= 1.0;
    out_.r_valid = true;
    out_.r_id = b.id;
    out_.r_resp = b.resp;
    out_.r_last = b.done + 1 == b.beats;
    if (b.resp == kRespOkay) {
      std::memcpy(out_.r_data, mem_ + beat_word(b), bus_bytes_);
    } else {
      std::memset(out_.r_data, 0, bus_bytes_);
    }
  }
  out_.aw_ready = writes_.size() < p_.max_writes;
  wr_credit_ = std::min(wr_credit_ + p_.write_beats_per_cycle, 1.0);
  out_.w_ready = !writes_.empty() && wr_credit_ >= 1.0;
  if (!out_.b_valid && !resps_.empty() && resps_.front().ready_at <= next) {
    out_.b_valid = true;
    out_.b_id = resps_.front().id;
    out_.b_resp = resps_.front().resp;
  }
}

}  // namespace tsim
