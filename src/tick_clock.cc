#include "tick_clock.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace litetrace::detail {
namespace {

TickSource detect_tick_source() {
#if defined(__x86_64__) || defined(__i386__)
  // CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in every P-, C- and
  // T-state, and is synchronised across cores (Intel SDM 17.17.1, AMD APM 2.6).
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000007 &&
      __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8)) != 0) {
    return TickSource::kTsc;
  }
  return TickSource::kMonotonicNs;
#elif defined(__aarch64__)
  return TickSource::kArmCounter;  // the generic timer's virtual count: constant rate by spec
#else
  return TickSource::kMonotonicNs;
#endif
}

}  // namespace

const TickSource g_tick_source = detect_tick_source();

TickConverter::TickConverter()
    : base_ticks_(read_ticks()),
      base_mono_ns_(monotonic_ns()),
      wall_minus_mono_ns_(static_cast<int64_t>(realtime_ns() - base_mono_ns_)) {
#if defined(__aarch64__)
  if (g_tick_source == TickSource::kArmCounter) {
    uint64_t hz;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    if (hz != 0) ns_per_tick_ = 1e9 / static_cast<double>(hz);
  }
#endif
  if (g_tick_source == TickSource::kTsc) {
    // A first estimate over ~1 ms; recalibrate() refines it over a longer baseline.
    const uint64_t t0 = read_ticks();
    const uint64_t m0 = monotonic_ns();
    uint64_t m1 = m0;
    while (m1 - m0 < 1000000) m1 = monotonic_ns();
    const uint64_t t1 = read_ticks();
    if (t1 > t0) ns_per_tick_ = static_cast<double>(m1 - m0) / static_cast<double>(t1 - t0);
  }
}

void TickConverter::recalibrate() {
  const uint64_t mono = monotonic_ns();
  const uint64_t ticks = read_ticks();
  wall_minus_mono_ns_ = static_cast<int64_t>(realtime_ns() - monotonic_ns());
  if (g_tick_source == TickSource::kTsc && mono - base_mono_ns_ >= 10000000 && ticks > base_ticks_) {
    ns_per_tick_ = static_cast<double>(mono - base_mono_ns_) / static_cast<double>(ticks - base_ticks_);
  }
}

int64_t TickConverter::to_unix_ns(uint64_t ticks) const {
  const double since_base = static_cast<double>(static_cast<int64_t>(ticks - base_ticks_)) * ns_per_tick_;
  return static_cast<int64_t>(base_mono_ns_) + wall_minus_mono_ns_ + static_cast<int64_t>(since_base);
}

}  // namespace litetrace::detail
