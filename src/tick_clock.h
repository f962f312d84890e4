#pragma once

// Time on the hot path is a read of a constant-rate CPU counter (x86 invariant TSC, arm64
// CNTVCT), a few nanoseconds where clock_gettime through the vDSO takes 15-25. Turning
// ticks into wall-clock microseconds is left to the batcher thread (TickConverter).
// Where no such counter exists, ticks are CLOCK_MONOTONIC nanoseconds.

#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace litetrace::detail {

enum class TickSource : uint8_t { kMonotonicNs, kTsc, kArmCounter };

// Decided once, before main (static initialization); read-only afterwards.
extern const TickSource g_tick_source;

inline uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Thread: any. The hot path's only clock.
inline uint64_t read_ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (g_tick_source == TickSource::kTsc) return __rdtsc();
#elif defined(__aarch64__)
  if (g_tick_source == TickSource::kArmCounter) {
    uint64_t v;
    asm volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
  }
#endif
  return monotonic_ns();
}

// Ticks -> Unix time. The rate is measured against CLOCK_MONOTONIC over an ever longer
// baseline (recalibrate()), and the wall-clock offset is re-read at each calibration, so
// NTP steps are followed.
//
// Thread: one thread only (the batcher).
class TickConverter {
 public:
  TickConverter();
  // Takes a new (ticks, monotonic, realtime) sample; call now and then (the batcher does
  // every flush). The first rate is good once ~10 ms have passed since construction.
  void recalibrate();
  int64_t to_unix_ns(uint64_t ticks) const;
  double ns_per_tick() const { return ns_per_tick_; }

 private:
  uint64_t base_ticks_;
  uint64_t base_mono_ns_;
  int64_t wall_minus_mono_ns_;
  double ns_per_tick_ = 1.0;
};

}  // namespace litetrace::detail
