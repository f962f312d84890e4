#include "core/tick_clock.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "core/compiler.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace litetrace::detail {
namespace {

LITETRACE_COLD TickSource detect_tick_source() {
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

TickSource g_tick_source = TickSource::kMonotonicNs;

LITETRACE_COLD void decide_tick_source() noexcept {
  // Stored once, by whichever call comes first (pthread_once: IdGenerator::reseed says why).
  // Readers run later on threads that use a provider made after a call returned.
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] { g_tick_source = detect_tick_source(); });
}

namespace {
// For a program whose first reader comes before any provider.
const bool g_decided_at_start = (decide_tick_source(), true);
}  // namespace

LITETRACE_COLD ClockSample read_clock_sample(const void*) {
  ClockSample best;
  best.uncertainty_ns = INT64_MAX;
  int64_t best_offset_window = INT64_MAX;
  for (int i = 0; i < kSampleTries; ++i) {
    // The counter between two monotonic reads: its monotonic time is the midpoint, give or
    // take half the window. A try that was preempted has a wide window and loses.
    // (Where ticks are monotonic nanoseconds, TickConverter uses only the wall-clock offset.)
    const auto m0 = static_cast<int64_t>(monotonic_ns());
    const uint64_t ticks = read_ticks_in_order();
    const auto m1 = static_cast<int64_t>(monotonic_ns());
    if ((m1 - m0 + 1) / 2 < best.uncertainty_ns) {
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

LITETRACE_COLD TickConverter::TickConverter()
    : read_(read_clock_sample),
      exact_((decide_tick_source(), g_tick_source == TickSource::kMonotonicNs)) {
  start();
}

LITETRACE_COLD TickConverter::TickConverter(void* source, ClockSample (*read)(const void*), void (*drop)(void*),
                                            bool ticks_are_monotonic_ns)
    : read_(read), source_(source), drop_(drop), exact_(ticks_are_monotonic_ns) {
  start();
}

LITETRACE_COLD void TickConverter::start() {
  samples_.push_back(kept(sample()));
  note_newest();
}

LITETRACE_COLD void TickConverter::note_newest() {
  ready_ = exact_ || samples_.size() >= 2;
  newest_ = Newest{};
  if (exact_ || samples_.size() < 2) return;
  const Kept& a = samples_[samples_.size() - 2];
  const Kept& b = samples_.back();
  Newest& n = newest_;
  n.usable = true;
  n.from_ticks = b.suspend ? b.ticks : a.ticks;
  n.a = a;
  n.b = b;
  n.stretch_ticks = static_cast<double>(b.ticks - a.ticks);
  n.stretch_ns = static_cast<double>(b.mono_ns - a.mono_ns);
  n.a_uncertainty_ns = static_cast<double>(a.uncertainty_ns);
  n.b_uncertainty_ns = static_cast<double>(b.uncertainty_ns);
  n.b_error_ns = static_cast<double>(b.uncertainty_ns) + b.extra_error_ns;
  n.slope_bound = std::max(b.slope_error, 0.0);
}

TickConverter::Kept TickConverter::kept(const ClockSample& s) {
  // ns_per_tick 1 is a placeholder: no conversion happens before ready().
  return Kept{s.ticks, s.mono_ns, s.uncertainty_ns, s.real_minus_mono_ns, 1.0, 0.0, 0.0, false};
}

LITETRACE_COLD void TickConverter::refresh() {
  const ClockSample s = sample();
  const Kept& last = samples_.back();
  if (s.ticks < last.ticks) {
    // The counter went backwards (reset by a resume, or a migration): what came before
    // cannot be placed against it any more.
    samples_.clear();
    samples_.push_back(kept(s));
    note_newest();
    return;
  }
  const int64_t mono_delta = s.mono_ns - last.mono_ns;
  const uint64_t tick_delta = s.ticks - last.ticks;
  if (mono_delta < kMinSegmentNs || tick_delta == 0) return;
  Kept k = kept(s);
  k.slope_error = static_cast<double>(s.uncertainty_ns + last.uncertainty_ns) / static_cast<double>(mono_delta);
  // Too loose for a rate (both reads were disturbed): wait for a longer stretch; but not
  // for a first rate past kMaxFirstWaitNs, so spans are never held long. Its looser bound
  // still keeps durations from being short, only less tight.
  if (k.slope_error > kMaxSlopeError && !(samples_.size() == 1 && mono_delta >= kMaxFirstWaitNs)) return;
  k.ns_per_tick = static_cast<double>(mono_delta) / static_cast<double>(tick_delta);
  if (samples_.size() >= 2 && k.ns_per_tick < 0.9 * last.ns_per_tick) {
    // The monotonic clock stood still while the counter ran: a suspend (NTP slews by
    // at most 1/12). Inside it, times are bounded from the rate before it.
    k.suspend = true;
    k.ns_per_tick = last.ns_per_tick;
    k.slope_error = last.slope_error;
  }
  samples_.push_back(k);
  if (samples_.size() > kMaxSamples) thin();
  note_newest();
}

LITETRACE_COLD TickConverter::Kept TickConverter::merged_without(size_t i) const {
  // The stretches either side of samples_[i] become one. What the dropped sample knew is
  // kept as error bounds: how far it lay off the new chord, and how far the two old rates
  // were from the chord's.
  const Kept& a = samples_[i - 1];
  const Kept& v = samples_[i];
  Kept k = samples_[i + 1];
  const double chord = static_cast<double>(k.mono_ns - a.mono_ns) / static_cast<double>(k.ticks - a.ticks);
  const double off_chord =
      std::fabs(static_cast<double>(v.mono_ns - a.mono_ns) - static_cast<double>(v.ticks - a.ticks) * chord);
  k.slope_error = std::max(std::fabs(v.ns_per_tick - chord), std::fabs(k.ns_per_tick - chord)) / chord +
                  std::max(v.slope_error, k.slope_error);
  k.extra_error_ns = std::max(v.extra_error_ns, k.extra_error_ns) + off_chord + static_cast<double>(v.uncertainty_ns);
  k.ns_per_tick = chord;
  return k;
}

LITETRACE_COLD void TickConverter::thin() {
  // One sample goes: of those before the newest kKeepRecent, the one whose loss adds the
  // least error, never one beside a suspend or a wall-clock step (the history is not a
  // straight line there). Where the rate is steady, samples are on one line and go at no
  // cost; the ones where NTP changed the rate stay.
  size_t best = 0;
  Kept best_merged{};
  for (size_t i = 1; i + kKeepRecent < samples_.size(); ++i) {
    const Kept& v = samples_[i];
    if (v.suspend || samples_[i + 1].suspend ||
        std::llabs(v.real_minus_mono_ns - samples_[i - 1].real_minus_mono_ns) >= 1000) {
      continue;
    }
    const Kept merged = merged_without(i);
    if (best == 0 || merged.extra_error_ns < best_merged.extra_error_ns) {
      best = i;
      best_merged = merged;
    }
  }
  if (best == 0) {  // nothing can merge: forget the oldest
    samples_.erase(0);
    return;
  }
  samples_[best + 1] = best_merged;
  samples_.erase(best);
}

LITETRACE_COLD void TickConverter::wait_until_ready() {
  while (!ready()) {
    const int64_t since = static_cast<int64_t>(monotonic_ns()) - samples_.back().mono_ns;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(kMinSegmentNs - since, 1000000)));
    refresh();
  }
}

// Cold: the batcher's spans and events in the newest stretch or after it (nearly all) are
// mapped inline (span_times(), to_unix_ns()).
LITETRACE_COLD TickConverter::Mapped TickConverter::to_mono(uint64_t ticks, Role role) const {
  // The sample after `ticks`: most spans are converted soon after they end, so look at
  // the newest stretch before searching.
  const size_t n = samples_.size();
  size_t index;
  if (ticks >= samples_[n - 1].ticks) {
    index = n;
  } else if (n >= 2 && ticks >= samples_[n - 2].ticks) {
    index = n - 1;
  } else {
    index = static_cast<size_t>(std::upper_bound(samples_.begin(), samples_.end(), ticks,
                                                 [](uint64_t t, const Kept& k) { return t < k.ticks; }) -
                                samples_.begin());
  }
  // The stretch used: the one ending at samples_[stretch] (the first or the newest one
  // when extrapolating).
  const size_t stretch = n < 2 ? 0 : std::clamp<size_t>(index, 1, n - 1);
  const Kept& before = samples_[index == 0 ? 0 : index - 1];
  Mapped m{0, 0.0, stretch, before.real_minus_mono_ns};
  if (exact_) {
    m.mono_ns = static_cast<int64_t>(ticks);
    return m;
  }
  const Kept& rate = samples_[stretch];
  if (index == 0) {
    // Before the first sample (a counter read just before the provider took it).
    extrapolate(samples_[0], rate, -static_cast<double>(samples_[0].ticks - ticks) * rate.ns_per_tick, m);
    return m;
  }
  if (index == n) {
    // After the newest sample: at the newest stretch's rate.
    extrapolate(before, rate, static_cast<double>(ticks - before.ticks) * rate.ns_per_tick, m);
    return m;
  }
  const Kept& a = before;
  const Kept& b = samples_[index];
  if (b.suspend) {
    // Before or after the suspend, no one can tell: a start takes the earliest time it can
    // have had, an end the latest.
    if (role == Role::kStart) {
      extrapolate(b, rate, -static_cast<double>(b.ticks - ticks) * b.ns_per_tick, m);
      m.mono_ns = std::max(m.mono_ns, a.mono_ns);
    } else {
      extrapolate(a, rate, static_cast<double>(ticks - a.ticks) * b.ns_per_tick, m);
      m.mono_ns = std::min(m.mono_ns, b.mono_ns);
    }
    return m;
  }
  interpolate(a, b, ticks, m);
  return m;
}

LITETRACE_ALWAYS_INLINE void TickConverter::extrapolate(const Kept& from, const Kept& rate, double ns, Mapped& m) {
  m.mono_ns = from.mono_ns + static_cast<int64_t>(ns);  // within 1 ns (span_times adds it)
  m.error_ns = static_cast<double>(from.uncertainty_ns) + rate.extra_error_ns + rate.slope_error * std::fabs(ns);
}

LITETRACE_ALWAYS_INLINE void TickConverter::interpolate(const Kept& a, const Kept& b, uint64_t ticks, Mapped& m) {
  const double f = static_cast<double>(ticks - a.ticks) / static_cast<double>(b.ticks - a.ticks);
  m.mono_ns = a.mono_ns + static_cast<int64_t>(f * static_cast<double>(b.mono_ns - a.mono_ns));
  m.error_ns = (1 - f) * static_cast<double>(a.uncertainty_ns) + f * static_cast<double>(b.uncertainty_ns) + b.extra_error_ns;
}

int64_t TickConverter::to_unix_ns(uint64_t ticks) const {
  const Newest& n = newest_;
  if (n.usable && ticks >= n.from_ticks && ticks - n.from_ticks < kNearTicks) {
    const Mapped m = map_near(ticks);
    return m.mono_ns + m.real_minus_mono_ns;
  }
  return to_unix_ns_general(ticks);
}

LITETRACE_COLD int64_t TickConverter::to_unix_ns_general(uint64_t ticks) const {
  const Mapped m = to_mono(ticks, Role::kStart);
  return m.mono_ns + m.real_minus_mono_ns;
}

// Inlined into span_times(): its two ends stay in registers.
LITETRACE_ALWAYS_INLINE SpanTimes TickConverter::finish_span_times(const Mapped& start, const Mapped& end,
                                                                  double slope_error) const {
  const int64_t estimate = std::max<int64_t>(end.mono_ns - start.mono_ns, 0);
  // The error of a difference: at most the two ends' errors, and at most the steepest
  // rate error on the way times its length (the error is continuous and linear in each
  // stretch).
  const double bound =
      std::min(start.error_ns + end.error_ns, std::max(slope_error, 0.0) * static_cast<double>(estimate));
  SpanTimes t;
  t.start_unix_ns = start.mono_ns + start.real_minus_mono_ns;
  // + 1 rounds the bound up; + 1 more: each end was cut to whole nanoseconds.
  t.duration_ns = estimate + (exact_ ? 0 : static_cast<int64_t>(bound) + 2);
  return t;
}

SpanTimes TickConverter::span_times_general(uint64_t start_ticks, uint64_t end_ticks) const {
  const Mapped start = to_mono(start_ticks, Role::kStart);
  const Mapped end = to_mono(end_ticks, Role::kEnd);
  // The steepest rate error on the way. Most spans lie in one or two stretches.
  double slope_error = 0;
  for (size_t i = start.stretch; i <= end.stretch && i < samples_.size(); ++i) {
    slope_error = std::max(slope_error, samples_[i].slope_error);
  }
  return finish_span_times(start, end, slope_error);
}


double TickConverter::ns_per_tick() const { return exact_ ? 1.0 : samples_.back().ns_per_tick; }

}  // namespace litetrace::detail
