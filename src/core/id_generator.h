#pragma once

// Span and trace ids from a per-thread wyrand stream (SplitMix64 without 128-bit integers)
// seeded from OS entropy: no lock, no system call after the first id of a thread, ~1 ns an
// id. A fork() child reseeds (pthread_atfork bumps a generation the generator checks), so
// parent and child never hand out the same ids.

#include <atomic>
#include <cstdint>

namespace litetrace::detail {

extern std::atomic<uint64_t> g_fork_generation;

class IdGenerator {
 public:
  // Thread: the owning thread only.
  uint64_t next() noexcept {
    check_fork();
    return next_unchecked();
  }
  // For several ids in a row: one check_fork(), then next_unchecked() for each.
  void check_fork() noexcept {
    if (generation_ != g_fork_generation.load(std::memory_order_relaxed)) reseed();
  }
  uint64_t next_unchecked() noexcept {
    for (;;) {
      const uint64_t z = mix(state_ += kStep);
      if (z != 0) return z;  // 0 means "no id" on the wire
    }
  }
  // A new trace's id, whose low half is also its root span's id, as Jaeger's and Zipkin's
  // own clients (jaeger-client-go, Brave) make a root span's: two draws, not three, the
  // state read and written once.
  struct TraceIdHalves {
    uint64_t high, low;
  };
  TraceIdHalves next_trace_unchecked() noexcept {
    const uint64_t s = state_;
    TraceIdHalves ids{mix(s + kStep), mix(s + 2 * kStep)};
    state_ = s + 2 * kStep;
    // A low half of 0 would make the span's id invalid, and the trace id too when the high
    // half is 0 as well: one test for both (1 in 2^64: drawn again out of line).
    if (ids.low == 0) ids.low = next_cold();
    return ids;
  }

 private:
  void reseed() noexcept;
  // next_unchecked() out of line, for the draw that came out 0.
  uint64_t next_cold() noexcept;

#if defined(__SIZEOF_INT128__)
  // wyrand (Wang Yi's): one 64 x 64 -> 128-bit multiply, its halves folded; passes
  // BigCrush and PractRand, in 5 instructions where SplitMix64 takes 9.
  static constexpr uint64_t kStep = 0xA0761D6478BD642Fu;
  static uint64_t mix(uint64_t s) noexcept {
    __extension__ using U128 = unsigned __int128;
    const U128 t = static_cast<U128>(s) * (s ^ 0xE7037ED1A0B428DBu);
    return static_cast<uint64_t>(t >> 64) ^ static_cast<uint64_t>(t);
  }
#else
  static constexpr uint64_t kStep = 0x9E3779B97F4A7C15u;  // SplitMix64
  static uint64_t mix(uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
  }
#endif

  uint64_t state_ = 0;
  uint64_t generation_ = 0;  // never g_fork_generation's: forces a seed on first use
};

}  // namespace litetrace::detail
