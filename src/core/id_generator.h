#pragma once

// Span and trace ids from a per-thread wyrand stream (SplitMix64 without 128-bit integers)
// seeded from OS entropy: no lock, no system call after the first id of a thread, ~1 ns an
// id. A fork() child reseeds (pthread_atfork bumps a generation the generator checks), so
// parent and child never hand out the same ids.

#include <algorithm>
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
  // A root span's three ids (trace id high and low, span id), the state read and written once.
  struct Three {
    uint64_t a, b, c;
  };
  Three next3_unchecked() noexcept {
    const uint64_t s = state_;
    Three ids{mix(s + kStep), mix(s + 2 * kStep), mix(s + 3 * kStep)};
    state_ = s + 3 * kStep;
    // A trace id is invalid only when all of it is 0; a span id, when it is 0. One test for
    // both: GCC 12 made the span id's on the multiply's two halves, which it kept on the
    // stack for it.
    if (std::min(ids.a | ids.b, ids.c) == 0) ids = redraw_zeros(ids.a, ids.b, ids.c);
    return ids;
  }

 private:
  void reseed() noexcept;
  // The ids with an invalid trace id or span id drawn again (1 in 2^64: out of line). As
  // three values: a Three is passed in memory, which kept the ids on the stack.
  Three redraw_zeros(uint64_t a, uint64_t b, uint64_t c) noexcept;

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
