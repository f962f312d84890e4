// A provider made at namespace scope in the program's own file is constructed before
// litetrace's own statics: this file's object comes first on the link line, and a program's
// static initializers run in link order. The provider decides the clock itself
// (tick_clock.h: decide_tick_source()), so that its batcher converts the ticks its spans
// read; before, its batcher took CPU counter ticks for nanoseconds and a 50 ms span arrived
// lasting 2-4 times that, hours off in its start.
//
// A program of its own: only here is the provider made before litetrace's statics.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/clock_watch.h"
#include "support/tracing_fixture.h"

namespace litetrace {
namespace {

test::UdpReceiver g_receiver;  // defined first: made before the provider, destroyed after it
TracerProvider g_provider(test::options_for(g_receiver));

int64_t unix_us(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TEST(StaticInit, AProviderMadeBeforeLitetracesStaticsTimesItsSpansAsTheyLasted) {
  test::ClockWatch clocks;
  clocks.note();
  const auto wall_before = std::chrono::system_clock::now();
  const auto before = std::chrono::steady_clock::now();
  {
    Span span = g_provider.tracer("static-init").start_span("sleep");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto after = std::chrono::steady_clock::now();
  const auto wall_after = std::chrono::system_clock::now();
  ASSERT_TRUE(g_provider.force_flush());
  clocks.note();
  // The provider's one first span cannot be made again: if the clocks moved against each
  // other meanwhile (support/clock_watch.h), the times prove nothing either way.
  const std::string moved = clocks.disturbance();
  if (!moved.empty()) {
    EXPECT_TRUE(g_provider.shutdown());
    GTEST_SKIP() << moved;
  }
  test::Arrived got;
  got.decode(test::sent_by(g_provider, g_receiver));
  const detail::Span* span = got.by_name("sleep");
  ASSERT_NE(span, nullptr);
  // The README's guarantees, judged by the clocks around the span, however loaded the
  // machine: a duration no shorter than the sleep inside it, and over the interval outside
  // it by at most 1 us + 20 ppm (1 us here; 1 more for that interval's truncation); a start
  // within 50 us of the wall clock's reads around start_span.
  const int64_t outside_us = std::chrono::duration_cast<std::chrono::microseconds>(after - before).count();
  EXPECT_GE(span->duration_us, 50000);
  EXPECT_LE(span->duration_us, outside_us + 3);
  EXPECT_GE(span->start_time_us, unix_us(wall_before) - 50);
  EXPECT_LE(span->start_time_us, unix_us(wall_after) + 50);
  EXPECT_TRUE(g_provider.shutdown());
}

}  // namespace
}  // namespace litetrace
