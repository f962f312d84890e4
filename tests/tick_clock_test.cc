// TickConverter against simulated clocks: a counter that drifts, a monotonic clock that
// NTP slews, a wall clock that is stepped, a suspend with the counter running and with it
// stopped, a counter that resets, hours of history. Every scenario is deterministic: the
// converter is fed samples the way the batcher takes them, and every span is judged by the
// rules span times promise (tick_clock.h):
//   - duration >= the monotonic time between the two counter reads, and at most 20 ppm more
//     (plus 4 ns of rounding: the ns values are rounded, which whole microseconds hide);
//   - start within 50 us of the wall clock at the start.
// Where the truth cannot be known from samples (a rate change, a step or a suspend between
// two samples), the looser bound the header states is asserted instead, for the spans in
// that stretch only.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/tick_clock.h"

namespace litetrace::detail {
namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kSec = 1000 * kMs;
// The longest stretch between two kept samples in these runs: samples are kept at least
// 20 ms apart and the simulated batcher looks every 5-30 ms.
constexpr int64_t kStretch = 60 * kMs;

// A stretch of true time in which each clock runs at a constant rate.
struct Phase {
  int64_t length_ns;
  double ticks_per_ns = 2.4;  // the counter (0: stopped)
  double mono_per_ns = 1.0;   // CLOCK_MONOTONIC (0: suspended; 1 +- slew)
  int64_t wall_step_ns = 0;   // CLOCK_REALTIME - CLOCK_MONOTONIC changes by this at the start
  bool ticks_reset = false;   // the counter restarts from a small value at the start
  bool suspend = false;       // the monotonic clock stands still
};

class SimulatedClocks {
 public:
  explicit SimulatedClocks(std::vector<Phase> phases) : phases_(std::move(phases)) {
    int64_t tau = 0;
    double ticks = 1e12, mono = 5e9;
    int64_t offset = int64_t{1700000000} * kSec;
    for (const Phase& p : phases_) {
      if (p.ticks_reset) ticks = 1e6;
      offset += p.wall_step_ns;
      starts_.push_back(Start{tau, ticks, mono, offset});
      tau += p.length_ns;
      ticks += p.ticks_per_ns * static_cast<double>(p.length_ns);
      mono += p.mono_per_ns * static_cast<double>(p.length_ns);
    }
    end_ = tau;
  }

  int64_t end() const { return end_; }
  uint64_t ticks(int64_t tau) const {
    const size_t i = phase_at(tau);
    return static_cast<uint64_t>(std::llround(starts_[i].ticks + phases_[i].ticks_per_ns * since(i, tau)));
  }
  int64_t mono(int64_t tau) const {
    const size_t i = phase_at(tau);
    return std::llround(starts_[i].mono + phases_[i].mono_per_ns * since(i, tau));
  }
  int64_t real(int64_t tau) const { return mono(tau) + starts_[phase_at(tau)].offset; }
  bool suspended(int64_t tau) const { return phases_[phase_at(tau)].suspend; }

  // What read_clock_sample would return at `tau`: the monotonic reading off by up to its
  // uncertainty, which is mostly tight and now and then wide (a preempted read).
  ClockSample sample(int64_t tau) {
    ClockSample s;
    s.ticks = ticks(tau);
    s.uncertainty_ns = rng_() % 16 == 0 ? 5000 : 5 + static_cast<int64_t>(rng_() % 36);
    s.mono_ns = mono(tau) + static_cast<int64_t>(rng_() % static_cast<uint64_t>(2 * s.uncertainty_ns + 1)) -
                s.uncertainty_ns;
    s.real_minus_mono_ns = starts_[phase_at(tau)].offset;
    return s;
  }

  // Phase boundaries within [from, to].
  template <typename F>
  void each_boundary(int64_t from, int64_t to, F f) const {
    for (size_t i = 1; i < phases_.size(); ++i) {
      if (starts_[i].tau >= from && starts_[i].tau <= to) f(phases_[i - 1], phases_[i], starts_[i].tau);
    }
  }

 private:
  struct Start {
    int64_t tau;
    double ticks, mono;
    int64_t offset;
  };
  size_t phase_at(int64_t tau) const {
    const auto after = std::upper_bound(starts_.begin(), starts_.end(), tau,
                                        [](int64_t t, const Start& s) { return t < s.tau; });
    return after == starts_.begin() ? 0 : static_cast<size_t>(after - starts_.begin() - 1);
  }
  double since(size_t i, int64_t tau) const { return static_cast<double>(tau - starts_[i].tau); }

  std::vector<Phase> phases_;
  std::vector<Start> starts_;
  int64_t end_ = 0;
  std::mt19937_64 rng_{42};
};

struct SimSpan {
  int64_t start, end;  // true time
};

// Spans over the whole run: many short, some long; a few right at the start.
std::vector<SimSpan> random_spans(int64_t run, size_t n, uint64_t seed, int64_t longest = 30 * kSec) {
  std::mt19937_64 rng(seed);
  std::vector<SimSpan> spans = {{10000, 10000}, {20000, 1 * kMs}, {100, 19 * kMs}};
  std::uniform_real_distribution<double> unit(0, 1);
  while (spans.size() < n) {
    const double l = unit(rng);
    const auto length = l < 0.05 ? int64_t{0} : static_cast<int64_t>(std::pow(static_cast<double>(longest), l));
    const auto start = static_cast<int64_t>(unit(rng) * static_cast<double>(run - length - kSec));
    spans.push_back({start, start + length});
  }
  std::sort(spans.begin(), spans.end(), [](const SimSpan& a, const SimSpan& b) { return a.end < b.end; });
  return spans;
}

struct Tally {
  size_t checked = 0;
  size_t loosened = 0;  // judged by a looser bound: a rate change, step or suspend near it
};

// Runs a converter over `clocks` as the batcher would (a look every 5-30 ms; spans
// converted at the first look after they ended, once a rate is known) and judges each span.
Tally run_and_judge(SimulatedClocks& clocks, const std::vector<SimSpan>& spans) {
  int64_t now = 0;
  TickConverter converter([&] { return clocks.sample(now); });
  std::mt19937_64 rng(7);
  Tally tally;
  size_t next = 0;
  while (next < spans.size()) {
    now += 5 * kMs + static_cast<int64_t>(rng() % (25 * kMs));
    converter.refresh();
    EXPECT_LE(converter.samples(), TickConverter::kMaxSamples + 1);
    if (!converter.ready()) continue;
    for (; next < spans.size() && spans[next].end <= now; ++next) {
      const SimSpan& s = spans[next];
      bool reset = false;
      clocks.each_boundary(s.start, s.end, [&](const Phase&, const Phase& after, int64_t) { reset |= after.ticks_reset; });
      clocks.each_boundary(s.end, now, [&](const Phase&, const Phase& after, int64_t) { reset |= after.ticks_reset; });
      if (reset) continue;  // its two counter reads are on different counters
      if (clocks.suspended(s.start) || clocks.suspended(s.end)) continue;  // no code runs then

      const SpanTimes t = converter.span_times(clocks.ticks(s.start), clocks.ticks(s.end));
      // Most spans here lie in the newest stretch or after it, where span_times() maps them
      // inline: to the nanosecond as the general path does.
      const SpanTimes general = converter.span_times_general(clocks.ticks(s.start), clocks.ticks(s.end));
      EXPECT_EQ(t.start_unix_ns, general.start_unix_ns);
      EXPECT_EQ(t.duration_ns, general.duration_ns);
      // A span's start is its start read as to_unix_ns() maps it, on every path span_times()
      // takes (the newest stretch and after the newest sample have paths of their own).
      EXPECT_EQ(t.start_unix_ns, converter.to_unix_ns(clocks.ticks(s.start)));
      // One time (an event's) maps inline as the general path maps it, wherever it lies.
      EXPECT_EQ(converter.to_unix_ns(clocks.ticks(s.start)), converter.to_unix_ns_general(clocks.ticks(s.start)));
      EXPECT_EQ(converter.to_unix_ns(clocks.ticks(s.end)), converter.to_unix_ns_general(clocks.ticks(s.end)));
      const int64_t truth = clocks.mono(s.end) - clocks.mono(s.start);
      const std::string where = "span [" + std::to_string(s.start) + ", " + std::to_string(s.end) + "] true ns";

      // What samples cannot tell, near the span: NTP rate changes (the stretch around one
      // interpolates the average rate), steps and suspends (their moment is unknown).
      double rate_change = 0;
      bool suspend_near = false;
      clocks.each_boundary(s.start - kStretch, s.end + kStretch, [&](const Phase& before, const Phase& after, int64_t) {
        if (before.suspend || after.suspend) {
          suspend_near = true;
        } else {
          rate_change += std::fabs(after.mono_per_ns - before.mono_per_ns);
        }
      });
      const double slack = rate_change * static_cast<double>(std::min(truth, kStretch));
      const double low = static_cast<double>(truth) - slack;
      const double high = static_cast<double>(truth) * (1 + 20e-6) + 4 + slack + (suspend_near ? 2 * kStretch : 0);
      EXPECT_GE(static_cast<double>(t.duration_ns), low) << where << " truth " << truth;
      EXPECT_LE(static_cast<double>(t.duration_ns), high) << where << " truth " << truth;

      double start_slack = 50000 + rate_change * kStretch;
      int64_t old_offset = 0;  // a step or resume just before the start may not be seen yet
      clocks.each_boundary(s.start - kStretch, s.start, [&](const Phase& before, const Phase& after, int64_t) {
        old_offset += after.wall_step_ns;
        if (before.suspend) start_slack += kStretch;
      });
      const int64_t real = clocks.real(s.start);
      const bool near_new = static_cast<double>(std::llabs(t.start_unix_ns - real)) <= start_slack;
      const bool near_old = old_offset != 0 && static_cast<double>(std::llabs(t.start_unix_ns - (real - old_offset))) <= start_slack;
      EXPECT_TRUE(near_new || near_old) << where << ": start off by " << (t.start_unix_ns - real) << " ns";
      ++tally.checked;
      if (rate_change != 0 || suspend_near || old_offset != 0) ++tally.loosened;
    }
  }
  return tally;
}

TEST(TickConverter, NotReadyUntilTwoSamplesTwentyMillisecondsApart) {
  SimulatedClocks clocks({Phase{kSec}});
  int64_t now = 0;
  TickConverter converter([&] {
    ClockSample s = clocks.sample(now);
    s.uncertainty_ns = 20;
    return s;
  });
  EXPECT_FALSE(converter.ready());
  now = 19 * kMs;
  converter.refresh();
  EXPECT_FALSE(converter.ready());
  now = 21 * kMs;
  converter.refresh();
  EXPECT_TRUE(converter.ready());
}

TEST(TickConverter, WidePairsWaitForALongerStretch) {
  // Both reads preempted (5 us each): 10 us of doubt needs a stretch of 1 s for 10 ppm.
  SimulatedClocks clocks({Phase{10 * kSec}});
  int64_t now = 0;
  TickConverter converter([&] {
    ClockSample s = clocks.sample(now);
    s.uncertainty_ns = 5000;
    s.mono_ns = clocks.mono(now);
    return s;
  });
  for (now = 30 * kMs; now < 990 * kMs; now += 30 * kMs) {
    converter.refresh();
    EXPECT_FALSE(converter.ready()) << now;
  }
  now = 1010 * kMs;
  converter.refresh();
  EXPECT_TRUE(converter.ready());
}

TEST(TickConverter, AFirstRateIsTakenAfterASecondHoweverLooseTheReads) {
  // Reads 50 us wide (a very slow clock_gettime): the first rate comes after 1 s all the
  // same, with a bound wide enough that durations are still never short.
  SimulatedClocks clocks({Phase{10 * kSec, 2.4 * (1 + 37e-6)}});
  int64_t now = 0;
  std::mt19937_64 rng(3);
  TickConverter converter([&] {
    ClockSample s;
    s.ticks = clocks.ticks(now);
    s.uncertainty_ns = 50000;
    s.mono_ns = clocks.mono(now) + static_cast<int64_t>(rng() % 100001) - 50000;
    return s;
  });
  for (now = 30 * kMs; now < 990 * kMs; now += 30 * kMs) converter.refresh();
  EXPECT_FALSE(converter.ready());
  now = 1010 * kMs;
  converter.refresh();
  ASSERT_TRUE(converter.ready());
  for (int64_t start : {int64_t{1000}, 400 * kMs, 1020 * kMs}) {
    for (int64_t length : {int64_t{0}, int64_t{500}, 3 * kMs, 500 * kMs}) {
      const SpanTimes t = converter.span_times(clocks.ticks(start), clocks.ticks(start + length));
      EXPECT_GE(t.duration_ns, clocks.mono(start + length) - clocks.mono(start)) << start << "+" << length;
    }
  }
}

TEST(TickConverter, CounterDriftFromTheFirstSpan) {
  // A counter 37 ppm off its nominal rate: durations and starts exact from the first span.
  SimulatedClocks clocks({Phase{120 * kSec, 2.4 * (1 + 37e-6)}});
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 3000, 1));
  EXPECT_EQ(t.checked, 3000u);
  EXPECT_EQ(t.loosened, 0u);
}

TEST(TickConverter, NtpSlewingIsFollowed) {
  // The monotonic clock slewed as ntpd (500 ppm) and chrony (up to 8.3 %) do, in stretches
  // of a few seconds. Within a stretch the rate is learned; only spans next to a change
  // get the looser bound.
  std::vector<Phase> phases;
  const double slews[] = {0, 500e-6, -500e-6, 0.05, -0.05, 120e-6, 0};
  for (int round = 0; round < 3; ++round) {
    for (double slew : slews) phases.push_back({3 * kSec + round * 700 * kMs, 2.4, 1 + slew});
  }
  SimulatedClocks clocks(phases);
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 4000, 2, 2 * kSec));
  EXPECT_EQ(t.checked, 4000u);
  EXPECT_LT(t.loosened, t.checked / 2);  // most spans judged by the exact rule
}

TEST(TickConverter, AWallClockStepMovesStartsNotDurations) {
  SimulatedClocks clocks({{30 * kSec}, {30 * kSec, 2.4, 1, int64_t{3700} * kMs}, {30 * kSec, 2.4, 1, -1200 * kMs}});
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 3000, 3));
  EXPECT_EQ(t.checked, 3000u);
  EXPECT_LT(t.loosened, 100u);
}

// 30 s awake, a 40 s suspend with the counter at `counter_rate` (0: stopped), 30 s awake;
// the wall clock jumps by the suspend at resume.
SimulatedClocks with_a_suspend(double counter_rate) {
  Phase suspend{40 * kSec, counter_rate, 0};
  suspend.suspend = true;
  return SimulatedClocks({Phase{30 * kSec}, suspend, Phase{30 * kSec, 2.4, 1, 40 * kSec}});
}

TEST(TickConverter, SuspendWithTheCounterRunning) {
  // s2idle and most VMs: the counter runs on, CLOCK_MONOTONIC stands still.
  SimulatedClocks clocks = with_a_suspend(2.4);
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 3000, 4));
  EXPECT_GT(t.checked, 1500u);  // the rest start or end while suspended: no code runs then
  EXPECT_GT(t.loosened, 0u);    // spans across the suspend were judged
}

TEST(TickConverter, SuspendWithTheCounterStopped) {
  // S3 on machines whose counter stops with the CPU: counter and monotonic clock stand
  // still together, so durations stay exact.
  SimulatedClocks clocks = with_a_suspend(0);
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 3000, 5));
  EXPECT_GT(t.checked, 1500u);
}

TEST(TickConverter, ACounterResetStartsAnew) {
  Phase after{30 * kSec};
  after.ticks_reset = true;
  SimulatedClocks clocks({{30 * kSec}, after});
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 2000, 6));
  EXPECT_GT(t.checked, 1500u);  // all but the spans whose reads straddle the reset
}

TEST(TickConverter, HoursOfHistoryStayBoundedAndExact) {
  // Three hours with the small frequency corrections NTP makes every 64 s; spans up to
  // two hours long. Starts stay within 50 us at every age, the history within its bound.
  std::vector<Phase> phases;
  std::mt19937_64 rng(8);
  for (int64_t t = 0; t < 3 * 3600 * kSec; t += 64 * kSec) {
    phases.push_back({64 * kSec, 2.4 * (1 + 37e-6), 1 + static_cast<double>(static_cast<int64_t>(rng() % 61) - 30) * 1e-8});
  }
  SimulatedClocks clocks(phases);
  const Tally t = run_and_judge(clocks, random_spans(clocks.end(), 3000, 9, 2 * 3600 * kSec));
  EXPECT_EQ(t.checked, 3000u);
}

TEST(TickConverter, MonotonicTicksConvertExactly) {
  // The fallback: ticks are CLOCK_MONOTONIC nanoseconds, so nothing is estimated.
  int64_t now = 0;
  const int64_t offset = int64_t{1700000000} * kSec;
  TickConverter converter(
      [&] {
        ClockSample s;
        s.ticks = static_cast<uint64_t>(now);
        s.mono_ns = now;
        s.real_minus_mono_ns = offset;
        return s;
      },
      true);
  EXPECT_TRUE(converter.ready());
  now = 5 * kSec;
  converter.refresh();
  const SpanTimes t = converter.span_times(1234567, 1234567 + 999999999);
  EXPECT_EQ(t.duration_ns, 999999999);
  EXPECT_EQ(t.start_unix_ns, offset + 1234567);
}

}  // namespace
}  // namespace litetrace::detail
