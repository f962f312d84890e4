#pragma once

// Span and trace ids from a per-thread SplitMix64 stream seeded from OS entropy: no lock,
// no system call after the first id of a thread, ~1 ns an id. A fork() child reseeds
// (pthread_atfork bumps a generation the generator checks), so parent and child never
// hand out the same ids.

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
      state_ += 0x9E3779B97F4A7C15u;
      uint64_t z = state_;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
      z ^= z >> 31;
      if (z != 0) return z;  // 0 means "no id" on the wire
    }
  }

 private:
  void reseed() noexcept;

  uint64_t state_ = 0;
  uint64_t generation_ = ~uint64_t{0};  // forces a seed on first use
};

// The calling thread's generator (inline: reached without a call or a TLS wrapper; its
// constructor is constexpr, so it needs no initialization guard).
inline thread_local IdGenerator t_id_generator;
inline IdGenerator& thread_id_generator() noexcept { return t_id_generator; }

}  // namespace litetrace::detail
