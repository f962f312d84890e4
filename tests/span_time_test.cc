// Span times through the public API on the real clocks, from the very first span of a
// fresh provider: the rules of tick_clock.h, judged by clocks the test reads itself.
//   - duration >= the CLOCK_MONOTONIC interval read just inside the span (after start
//     returned, before end was called);
//   - duration <= the interval read just outside it + 1 us + 20 ppm;
//   - start within 50 us of CLOCK_REALTIME read around the start.
// Each rule compares with what this thread measured, so a loaded machine (a preempted
// thread, a late batcher) widens the intervals but cannot break a correct implementation.
// Clocks that move against each other (a virtual machine's host setting them) can: a case
// in which this test saw them move is run again (support/clock_watch.h).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/tick_clock.h"
#include "support/clock_watch.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using test::Arrived;
using test::ClockWatch;
using test::options_for;
using test::UdpReceiver;

struct Measured {
  std::string name;
  int64_t real_before_start, real_after_start;  // CLOCK_REALTIME around start_span
  int64_t outside, inside;                      // CLOCK_MONOTONIC intervals, ns
};

int64_t mono() { return static_cast<int64_t>(detail::monotonic_ns()); }
int64_t real() { return static_cast<int64_t>(detail::realtime_ns()); }

template <typename Body>
Measured timed_span(Tracer& tracer, ClockWatch& clocks, std::string name, Body body) {
  Measured m;
  m.name = std::move(name);
  clocks.note();
  m.real_before_start = real();
  const int64_t outside_start = mono();
  Span span = tracer.start_span(m.name);
  const int64_t inside_start = mono();
  m.real_after_start = real();
  body();
  const int64_t inside_end = mono();
  span.end();
  const int64_t outside_end = mono();
  clocks.note();
  m.outside = outside_end - outside_start;
  m.inside = inside_end - inside_start;
  return m;
}

// Runs `attempt(clocks)` (a fresh provider, its spans, what arrived; it returns how to judge
// them) until the clocks keep their relations through one attempt, at most five times: a
// case the clocks moved in judges nothing. Five attempts moved in a row skip the test,
// saying how. The clocks are watched from before the provider is made until the spans have
// arrived (flush_and_receive).
template <typename Attempt>
void with_steady_clocks(const std::string& what, Attempt attempt) {
  std::string moved;
  for (int i = 0; i < 5; ++i) {
    ClockWatch clocks;
    clocks.note();
    const auto judge_it = attempt(clocks);
    moved = clocks.disturbance();
    if (moved.empty()) {
      judge_it();
      return;
    }
    std::cout << "[ again    ] " << what << ": " << moved << "\n";
  }
  GTEST_SKIP() << what << ": the clocks moved against each other in five attempts in a row; the last time "
               << moved;
}

void judge(const Arrived& got, const Measured& m) {
  const detail::Span* s = got.by_name(m.name);
  ASSERT_NE(s, nullptr) << m.name;
  const int64_t duration_ns = s->duration_us * 1000;
  EXPECT_GE(duration_ns, m.inside) << m.name << ": shorter than the time measured inside it";
  EXPECT_LE(static_cast<double>(duration_ns), static_cast<double>(m.outside) * (1 + 20e-6) + 1000)
      << m.name << ": outside " << m.outside << " ns";
  const int64_t start_ns = s->start_time_us * 1000;
  EXPECT_GE(start_ns, m.real_before_start - 50000) << m.name;
  EXPECT_LE(start_ns, m.real_after_start + 50000) << m.name;
}

// Everything the provider sent, once force_flush said it was sent; the clocks noted then.
Arrived flush_and_receive(TracerProvider& provider, UdpReceiver& receiver, ClockWatch& clocks) {
  EXPECT_TRUE(provider.force_flush(std::chrono::seconds(30)));
  clocks.note();
  Arrived got;
  got.decode(test::sent_by(provider, receiver));
  return got;
}

TEST(SpanTimes, TheFirstSpanOfAFreshProviderAroundSleepsOfSeveralLengths) {
  using namespace std::chrono_literals;
  const std::chrono::microseconds sleeps[] = {0us, 50us, 1ms, 7ms, 30ms, 120ms, 400ms, 1000ms};
  for (const auto sleep : sleeps) {
    const std::string name = "sleep " + std::to_string(sleep.count()) + " us";
    with_steady_clocks(name, [&](ClockWatch& clocks) {
      UdpReceiver receiver;
      TracerProvider provider(options_for(receiver));
      Tracer tracer = provider.tracer("clock");
      const Measured m = timed_span(tracer, clocks, name, [&] {
        if (sleep.count() != 0) std::this_thread::sleep_for(sleep);
      });
      // Held, not copied: the decoded spans point into its datagrams.
      auto got = std::make_shared<const Arrived>(flush_and_receive(provider, receiver, clocks));
      return [got, m] { judge(*got, m); };
    });
    if (IsSkipped()) return;
  }
}

TEST(SpanTimes, RandomSpansOnFreshProvidersNestedAndInSequence) {
  std::mt19937 rng(20261129);
  for (int round = 0; round < 8; ++round) {
    with_steady_clocks("round " + std::to_string(round), [&](ClockWatch& clocks) {
      UdpReceiver receiver;
      TracerProvider provider(options_for(receiver));
      Tracer tracer = provider.tracer("clock");
      std::vector<Measured> measured;
      const auto pause = [&] { std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000)); };
      measured.push_back(timed_span(tracer, clocks, "outer", [&] {
        for (int i = 0; i < 4; ++i) {
          measured.push_back(timed_span(tracer, clocks, "inner " + std::to_string(i), pause));
        }
      }));
      measured.push_back(timed_span(tracer, clocks, "empty", [] {}));
      auto got = std::make_shared<const Arrived>(flush_and_receive(provider, receiver, clocks));
      return [got, measured] {
        for (const Measured& m : measured) judge(*got, m);
      };
    });
    if (IsSkipped()) return;
  }
}

TEST(SpanTimes, TheProviderSaysWhatItTimesSpansWith) {
  UdpReceiver receiver;
  TracerProviderOptions o = options_for(receiver);
  std::vector<std::string> said;
  o.on_diagnostic = [&](const Diagnostic& d) {
    if (d.code == DiagnosticCode::kClockSource) said.emplace_back(d.message);
  };
  TracerProvider provider(o);
  EXPECT_TRUE(provider.force_flush());  // the batcher has started and spoken
  provider.shutdown();
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find(to_string(provider.clock_source())), std::string::npos) << said[0];
}

}  // namespace
}  // namespace litetrace
