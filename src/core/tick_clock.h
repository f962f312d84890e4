#pragma once

// Time on the hot path is a read of a constant-rate CPU counter (x86 invariant TSC, arm64
// CNTVCT), a few nanoseconds where clock_gettime through the vDSO takes 15-25. Turning
// ticks into span times is left to the batcher thread (TickConverter).
// Where no such counter exists, ticks are CLOCK_MONOTONIC nanoseconds.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>

#include "core/compiler.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "core/raw_array.h"

namespace litetrace::detail {

enum class TickSource : uint8_t { kMonotonicNs, kTsc, kArmCounter };

// What read_ticks() reads. Decided once (decide_tick_source()), before litetrace reads it: by
// a static's initialization, and before that, where a provider is made first (a namespace-
// scope provider in the program's own file is constructed before litetrace's statics), by
// the provider's constructor, so that its batcher and its threads agree on the source.
// Read-only once decided.
extern TickSource g_tick_source;
// Thread-safe; once decided, a guard's test.
void decide_tick_source() noexcept;

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

// Whether the ticks are a CPU counter's, read inline by read_counter(): no call, so that
// Span::end()'s common case makes none (trace.cc).
inline bool ticks_are_counter() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return g_tick_source == TickSource::kTsc;
#elif defined(__aarch64__)
  return g_tick_source == TickSource::kArmCounter;
#else
  return false;
#endif
}

// The counter; only where ticks_are_counter().
inline uint64_t read_counter() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#elif defined(__aarch64__)
  uint64_t v;
  asm volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return 0;
#endif
}

// Thread: any. The hot path's only clock.
inline uint64_t read_ticks() noexcept { return ticks_are_counter() ? read_counter() : monotonic_ns(); }

// The three clocks read at (nearly) one instant.
struct ClockSample {
  uint64_t ticks = 0;
  int64_t mono_ns = 0;             // CLOCK_MONOTONIC when the counter read `ticks`...
  int64_t uncertainty_ns = 0;      // ...give or take this much
  int64_t real_minus_mono_ns = 0;  // CLOCK_REALTIME - CLOCK_MONOTONIC: moves only when the
                                   // wall clock is stepped or the machine resumes
};

// The tightest of a few (monotonic, counter, monotonic) readings, so a preempted one does
// not count. Thread: any; not for the hot path. Shaped as a TickConverter's reader (whose
// source, here none, it ignores), so that it is one with no function to adapt it.
ClockSample read_clock_sample(const void* = nullptr);

// Span times, as a span's record holds them in ticks, for the exporters.
struct SpanTimes {
  int64_t start_unix_ns = 0;
  // Never less than the CLOCK_MONOTONIC time that passed between the two counter reads:
  // the estimate plus the bound of its error. The bound is at most kMaxSlopeError of it,
  // so a duration is at most 20 ppm too long.
  int64_t duration_ns = 0;
};

// Ticks -> span times, by interpolating between (ticks, monotonic, real-time) samples the
// batcher takes as it runs, at least kMinSegmentNs apart.
//
// - Durations come from CLOCK_MONOTONIC, so a wall-clock step never shortens or lengthens
//   one; NTP slewing of the monotonic clock is followed, since every stretch between two
//   samples has its own rate. The rate is trusted only once two samples are far enough apart
//   that their read uncertainties are under kMaxSlopeError of the stretch: ready() says so.
//   A duration is the interpolated difference plus the bound of its error, so it is never
//   shorter than the monotonic time between the two counter reads, and longer by at most
//   20 ppm (where the NTP rate is steady between two samples; where NTP changes it inside
//   a stretch, the change applies to the spans in it). A first rate is taken after
//   kMaxFirstWaitNs however loose the reads; its bound is wider, durations never short.
// - Start times add CLOCK_REALTIME - CLOCK_MONOTONIC as it was at the sample before the
//   tick; a step or a resume is taken up from the first sample after it.
// - A stretch in which the monotonic clock advanced at under 9/10 of the counter's rate is
//   a suspend (the counter ran on, the monotonic clock did not): in it, a start maps to the
//   earliest time and an end to the latest time it can have been, so a span across it is
//   longer, never shorter, than its monotonic time.
// - A counter that went backwards starts the history anew.
// - History is bounded (kMaxSamples): when it is full, the older sample whose loss adds
//   the least error goes, and the error it adds is carried in the bounds. Samples on a
//   straight line cost nothing to lose, so the ones kept are where NTP changed the rate.
//
// Thread: one thread only (the batcher); the sample source is called on it.
class TickConverter {
 public:
  static constexpr int64_t kMinSegmentNs = 20000000;  // 20 ms
  // The bound of a stretch's rate error, (uncertainty at both ends) / length: a duration
  // is reported at most twice this much long.
  static constexpr double kMaxSlopeError = 10e-6;
  static constexpr int64_t kMaxFirstWaitNs = 1000000000;  // 1 s
  static constexpr size_t kMaxSamples = 256;
  static constexpr size_t kKeepRecent = 64;  // never thinned (at least the last ~1.3 s)

  // Takes the first sample from the real clocks (read_clock_sample).
  TickConverter();
  // The same with samples from `source` (a callable returning a ClockSample), whose ticks
  // are counter ticks: tests. Kept behind two plain function pointers, not a std::function,
  // whose call and destruction every program linked (-0.2 KB lean, bench/footprint.py).
  template <class Source>
  explicit TickConverter(Source source, bool ticks_are_monotonic_ns = false)
      : TickConverter(
            new Source(std::move(source)),
            [](const void* s) { return (*static_cast<const Source*>(s))(); },
            [](void* s) { delete static_cast<Source*>(s); }, ticks_are_monotonic_ns) {}
  ~TickConverter() {
    if (drop_ != nullptr) drop_(source_);
  }
  TickConverter(const TickConverter&) = delete;
  TickConverter& operator=(const TickConverter&) = delete;

  // Takes a sample and keeps it if the newest kept one is at least kMinSegmentNs older
  // (and the two are tight enough for the rate). Cheap enough to call every batcher pass.
  void refresh();
  // True once a rate is known; the conversions below need it.
  bool ready() const { return ready_; }
  // Until ready(): sleeps and refreshes. For real clocks only (the default source).
  void wait_until_ready();

  // Inline for most spans, those in the newest stretch or after it (the batcher takes spans
  // soon after they end): each end interpolated in the stretch or extrapolated past its
  // end at its rate, to the nanosecond as the general path (span_times_general) maps it.
  LITETRACE_ALWAYS_INLINE SpanTimes span_times(uint64_t start_ticks, uint64_t end_ticks) const {
    const Newest& n = newest_;
    if (n.usable && start_ticks >= n.from_ticks && end_ticks >= start_ticks && end_ticks - n.from_ticks < kNearTicks) {
      const Mapped start = map_near(start_ticks);
      const Mapped end = map_near(end_ticks);
      const int64_t estimate = std::max<int64_t>(end.mono_ns - start.mono_ns, 0);
      const double bound = std::min(start.error_ns + end.error_ns, n.slope_bound * static_cast<double>(estimate));
      return {start.mono_ns + start.real_minus_mono_ns, estimate + static_cast<int64_t>(bound) + 2};
    }
    return span_times_general(start_ticks, end_ticks);
  }
  // Any span, as to_mono() maps its two ends: what span_times() takes for the spans it does
  // not map inline, and gives the same for those it does (tick_clock_test holds it to that).
  SpanTimes span_times_general(uint64_t start_ticks, uint64_t end_ticks) const;
  // One time (an event's, or a span end beside one the caller gave in Unix ns): in the
  // newest stretch or after it as span_times() maps a span's ends, else to_unix_ns_general().
  int64_t to_unix_ns(uint64_t ticks) const;
  // Any time, as to_mono() maps it; the same as to_unix_ns() (tick_clock_test holds it to that).
  int64_t to_unix_ns_general(uint64_t ticks) const;
  // The newest stretch's rate (for benchmarks turning tick differences into time).
  double ns_per_tick() const;
  size_t samples() const { return samples_.size(); }

 private:
  // The template constructor's: `source` read by `read`, deleted by `drop`.
  TickConverter(void* source, ClockSample (*read)(const void*), void (*drop)(void*), bool ticks_are_monotonic_ns);
  struct Kept {
    uint64_t ticks;
    int64_t mono_ns;
    int64_t uncertainty_ns;
    int64_t real_minus_mono_ns;
    // Of the stretch ending here: its rate (for a suspend, the rate before it); the bound
    // of the rate's error (ns per ns); what thinning added to the error of a time in it;
    // whether the monotonic clock stood still in it.
    double ns_per_tick;
    double slope_error;
    double extra_error_ns;
    bool suspend;
  };
  enum class Role { kStart, kEnd };
  struct Mapped {
    int64_t mono_ns;
    double error_ns;  // bound of |mapped - true|
    size_t stretch;   // the index of the sample ending the stretch that mapped it
    int64_t real_minus_mono_ns;
  };

  // The kept samples, oldest first: at most kMaxSamples + 1 (refresh() thins past
  // kMaxSamples), in one allocation made with the converter (a vector linked its growth,
  // which never ran).
  class Samples {
   public:
    Samples() : at_(make_raw_array<Kept>(kMaxSamples + 1)) {}
    size_t size() const { return n_; }
    Kept& operator[](size_t i) { return at_[i]; }
    const Kept& operator[](size_t i) const { return at_[i]; }
    const Kept& back() const { return at_[n_ - 1]; }
    const Kept* begin() const { return at_.get(); }
    const Kept* end() const { return at_.get() + n_; }
    void push_back(const Kept& k) { at_[n_++] = k; }
    void clear() { n_ = 0; }
    void erase(size_t i) {
      std::memmove(&at_[i], &at_[i + 1], (n_ - i - 1) * sizeof(Kept));
      --n_;
    }

   private:
    RawArray<Kept> at_;
    size_t n_ = 0;
  };

  static Kept kept(const ClockSample& s);
  // The first sample, and what it tells.
  void start();
  ClockSample sample() const { return read_(source_); }
  Mapped to_mono(uint64_t ticks, Role role) const;
  // Sets m's time and error: `ns` after sample `from` (before it when negative), at the rate
  // of the stretch that sample `rate` ends.
  static void extrapolate(const Kept& from, const Kept& rate, double ns, Mapped& m);
  // Sets m's time and error: `ticks` between samples `a` and `b`, on the line between them.
  static void interpolate(const Kept& a, const Kept& b, uint64_t ticks, Mapped& m);
  // A span's times from its two ends' and the steepest rate error between them.
  SpanTimes finish_span_times(const Mapped& start, const Mapped& end, double slope_error) const;
  Kept merged_without(size_t i) const;
  void thin();
  // Sets ready_ and newest_ from samples_; after every change of them.
  void note_newest();

  // What span_times() reads inline: the newest stretch, from sample a to sample b (the
  // newest), as to_mono() would read them.
  struct Newest {
    bool usable = false;      // a rate is known (ready()) and ticks are not nanoseconds already
    uint64_t from_ticks = 0;  // a's ticks; b's when the stretch is a suspend (not mapped inline)
    Kept a{};
    Kept b{};  // the newest sample
    double stretch_ticks = 0;  // b's ticks - a's
    double stretch_ns = 0;     // b's monotonic time - a's
    double a_uncertainty_ns = 0;
    double b_uncertainty_ns = 0;
    double b_error_ns = 0;   // b's uncertainty and what thinning added to the stretch's error
    double slope_bound = 0;  // max(slope_error, 0), for the duration's bound
  };
  // A time from n.from_ticks on, under 2^62 ticks after it (as int64_t, its tick counts
  // convert in one instruction): to_mono()'s interpolate() or extrapolate() with the
  // stretch's numbers at hand.
  Mapped map_near(uint64_t ticks) const {
    const Newest& n = newest_;
    Mapped m;
    m.stretch = 0;  // not read
    if (ticks >= n.b.ticks) {
      const double ns = static_cast<double>(static_cast<int64_t>(ticks - n.b.ticks)) * n.b.ns_per_tick;
      m.mono_ns = n.b.mono_ns + static_cast<int64_t>(ns);
      m.error_ns = n.b_error_ns + n.b.slope_error * ns;  // ns >= 0: no fabs
      m.real_minus_mono_ns = n.b.real_minus_mono_ns;
      return m;
    }
    const double f = static_cast<double>(static_cast<int64_t>(ticks - n.a.ticks)) / n.stretch_ticks;
    m.mono_ns = n.a.mono_ns + static_cast<int64_t>(f * n.stretch_ns);
    m.error_ns = (1 - f) * n.a_uncertainty_ns + f * n.b_uncertainty_ns + n.b.extra_error_ns;
    m.real_minus_mono_ns = n.a.real_minus_mono_ns;
    return m;
  }
  static constexpr uint64_t kNearTicks = uint64_t{1} << 62;

  // The real clocks' (read_clock_sample, source_ null), or the one given (tests), with what
  // deletes it.
  ClockSample (*read_)(const void* source);
  void* source_ = nullptr;
  void (*drop_)(void* source) = nullptr;
  bool exact_;  // ticks are monotonic nanoseconds
  Samples samples_;
  bool ready_ = false;  // exact_ or two samples: ready(), asked once per span
  Newest newest_;
};

}  // namespace litetrace::detail
