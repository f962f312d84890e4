#include "tick_clock.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

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

// The counter read in program order with the clock reads around it: rdtsc and mrs may
// otherwise run ahead of (or behind) the clock_gettime calls that bracket them.
uint64_t read_ticks_in_order() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (g_tick_source == TickSource::kTsc) {
    _mm_lfence();
    const uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
  }
#elif defined(__aarch64__)
  if (g_tick_source == TickSource::kArmCounter) {
    uint64_t v;
    asm volatile("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v) : : "memory");
    return v;
  }
#endif
  return monotonic_ns();
}

constexpr int kSampleTries = 7;

}  // namespace

const TickSource g_tick_source = detect_tick_source();

ClockSample read_clock_sample() {
  ClockSample best;
  best.uncertainty_ns = INT64_MAX;
  int64_t best_offset_window = INT64_MAX;
  for (int i = 0; i < kSampleTries; ++i) {
    // The counter between two monotonic reads: its monotonic time is the midpoint, give or
    // take half the window. A try that was preempted has a wide window and loses.
    const auto m0 = static_cast<int64_t>(monotonic_ns());
    const uint64_t ticks = g_tick_source == TickSource::kMonotonicNs ? 0 : read_ticks_in_order();
    const auto m1 = static_cast<int64_t>(monotonic_ns());
    if (g_tick_source == TickSource::kMonotonicNs) {
      best.ticks = static_cast<uint64_t>(m1);
      best.mono_ns = m1;
      best.uncertainty_ns = 0;
    } else if ((m1 - m0 + 1) / 2 < best.uncertainty_ns) {
      best.ticks = ticks;
      best.mono_ns = m0 + (m1 - m0) / 2;
      best.uncertainty_ns = (m1 - m0 + 1) / 2;
    }
    // The wall clock the same way; only its offset from the monotonic clock is kept.
    const auto m2 = static_cast<int64_t>(monotonic_ns());
    const auto real = static_cast<int64_t>(realtime_ns());
    const auto m3 = static_cast<int64_t>(monotonic_ns());
    if (m3 - m2 < best_offset_window) {
      best_offset_window = m3 - m2;
      best.real_minus_mono_ns = real - (m2 + (m3 - m2) / 2);
    }
  }
  return best;
}

TickConverter::TickConverter() : TickConverter(read_clock_sample, g_tick_source == TickSource::kMonotonicNs) {}

TickConverter::TickConverter(std::function<ClockSample()> source, bool ticks_are_monotonic_ns)
    : source_(std::move(source)), exact_(ticks_are_monotonic_ns) {
  samples_.reserve(kMaxSamples + 1);
  const ClockSample s = source_();
  samples_.push_back(Kept{s.ticks, s.mono_ns, s.uncertainty_ns, s.real_minus_mono_ns, 1.0, 0.0, false});
}

void TickConverter::refresh() {
  const ClockSample s = source_();
  const Kept& last = samples_.back();
  if (s.ticks < last.ticks) {
    // The counter went backwards (reset by a resume, or a migration): what came before
    // cannot be placed against it any more.
    samples_.clear();
    max_slope_error_ = 0;
    samples_.push_back(Kept{s.ticks, s.mono_ns, s.uncertainty_ns, s.real_minus_mono_ns, 1.0, 0.0, false});
    return;
  }
  const int64_t mono_delta = s.mono_ns - last.mono_ns;
  const uint64_t tick_delta = s.ticks - last.ticks;
  if (mono_delta < kMinSegmentNs || tick_delta == 0) return;
  Kept k{s.ticks, s.mono_ns, s.uncertainty_ns, s.real_minus_mono_ns, 0.0, 0.0, false};
  k.slope_error = static_cast<double>(s.uncertainty_ns + last.uncertainty_ns) / static_cast<double>(mono_delta);
  // Too loose for a rate (both reads were disturbed): wait for a longer stretch.
  if (k.slope_error > kMaxSlopeError) return;
  k.ns_per_tick = static_cast<double>(mono_delta) / static_cast<double>(tick_delta);
  if (samples_.size() >= 2 && k.ns_per_tick < 0.9 * last.ns_per_tick) {
    // The monotonic clock stood still while the counter ran: a suspend (NTP slews by
    // at most 1/12). Inside it, times are bounded from the rate before it.
    k.suspend = true;
    k.ns_per_tick = last.ns_per_tick;
    k.slope_error = last.slope_error;
  }
  samples_.push_back(k);
  max_slope_error_ = std::max(max_slope_error_, k.slope_error);
  if (samples_.size() > kMaxSamples) thin();
}

void TickConverter::thin() {
  // Every other sample of the older half goes, except around a suspend or a wall-clock
  // step, where the history is not a straight line.
  const size_t half = samples_.size() / 2;
  std::vector<Kept> kept;
  kept.reserve(kMaxSamples + 1);
  bool drop = false;
  for (size_t i = 0; i < samples_.size(); ++i) {
    Kept k = samples_[i];
    if (i > 0 && i < half) {
      drop = !drop;
      const bool removable = !k.suspend && !samples_[i + 1].suspend &&
                             std::llabs(k.real_minus_mono_ns - samples_[i - 1].real_minus_mono_ns) < 1000;
      if (drop && removable) continue;
    }
    if (!kept.empty() && !k.suspend && kept.back().ticks != samples_[i - 1].ticks) {
      // The stretch now starts at an earlier sample: longer, so its rate is tighter.
      const Kept& a = kept.back();
      const auto mono_delta = static_cast<double>(k.mono_ns - a.mono_ns);
      k.ns_per_tick = mono_delta / static_cast<double>(k.ticks - a.ticks);
      k.slope_error = static_cast<double>(a.uncertainty_ns + k.uncertainty_ns) / mono_delta;
    }
    kept.push_back(k);
  }
  samples_.swap(kept);
  max_slope_error_ = 0;
  for (const Kept& k : samples_) max_slope_error_ = std::max(max_slope_error_, k.slope_error);
}

void TickConverter::wait_until_ready() {
  while (!ready()) {
    const int64_t since = static_cast<int64_t>(monotonic_ns()) - samples_.back().mono_ns;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(kMinSegmentNs - since, 1000000)));
    refresh();
  }
}

TickConverter::Mapped TickConverter::to_mono(uint64_t ticks, Role role) const {
  if (exact_) return {static_cast<int64_t>(ticks), 0.0};
  const auto after = std::upper_bound(samples_.begin(), samples_.end(), ticks,
                                      [](uint64_t t, const Kept& k) { return t < k.ticks; });
  const auto extrapolate = [](const Kept& from, double ns, double slope_error) {
    return Mapped{from.mono_ns + std::llround(ns), static_cast<double>(from.uncertainty_ns) + slope_error * std::fabs(ns)};
  };
  if (after == samples_.begin()) {
    // Before the first sample (a counter read just before the provider took it).
    const Kept& a = samples_[0];
    const Kept& rate = samples_.size() >= 2 ? samples_[1] : a;
    return extrapolate(a, -static_cast<double>(a.ticks - ticks) * rate.ns_per_tick, rate.slope_error);
  }
  const Kept& a = *(after - 1);
  if (after == samples_.end()) {
    // After the newest sample: at the newest stretch's rate.
    return extrapolate(a, static_cast<double>(ticks - a.ticks) * a.ns_per_tick, a.slope_error);
  }
  const Kept& b = *after;
  if (b.suspend) {
    // Before or after the suspend, no one can tell: a start takes the earliest time it can
    // have had, an end the latest.
    if (role == Role::kStart) {
      Mapped m = extrapolate(b, -static_cast<double>(b.ticks - ticks) * b.ns_per_tick, b.slope_error);
      m.mono_ns = std::max(m.mono_ns, a.mono_ns);
      return m;
    }
    Mapped m = extrapolate(a, static_cast<double>(ticks - a.ticks) * b.ns_per_tick, b.slope_error);
    m.mono_ns = std::min(m.mono_ns, b.mono_ns);
    return m;
  }
  const double f = static_cast<double>(ticks - a.ticks) / static_cast<double>(b.ticks - a.ticks);
  return Mapped{a.mono_ns + std::llround(f * static_cast<double>(b.mono_ns - a.mono_ns)),
                (1 - f) * static_cast<double>(a.uncertainty_ns) + f * static_cast<double>(b.uncertainty_ns)};
}

int64_t TickConverter::real_minus_mono_at(uint64_t ticks) const {
  const auto after = std::upper_bound(samples_.begin(), samples_.end(), ticks,
                                      [](uint64_t t, const Kept& k) { return t < k.ticks; });
  return (after == samples_.begin() ? samples_.front() : *(after - 1)).real_minus_mono_ns;
}

int64_t TickConverter::to_unix_ns(uint64_t ticks) const {
  return to_mono(ticks, Role::kStart).mono_ns + real_minus_mono_at(ticks);
}

SpanTimes TickConverter::span_times(uint64_t start_ticks, uint64_t end_ticks) const {
  const Mapped start = to_mono(start_ticks, Role::kStart);
  const Mapped end = to_mono(end_ticks, Role::kEnd);
  const int64_t estimate = std::max<int64_t>(end.mono_ns - start.mono_ns, 0);
  // The error of a difference: at most the two ends' errors, and at most the steepest
  // rate error over its length (the error is linear between samples).
  const double bound = std::min(start.error_ns + end.error_ns, max_slope_error_ * static_cast<double>(estimate));
  SpanTimes t;
  t.start_unix_ns = start.mono_ns + real_minus_mono_at(start_ticks);
  t.duration_ns = estimate + static_cast<int64_t>(std::ceil(bound));
  return t;
}

double TickConverter::ns_per_tick() const { return exact_ ? 1.0 : samples_.back().ns_per_tick; }

}  // namespace litetrace::detail
