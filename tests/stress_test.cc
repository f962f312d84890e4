// Many threads, some living for the whole run and some starting and exiting mid-run,
// through the real batcher and UDP: exact accounting, and every span arrives exactly once
// when the ring is not overloaded. Meant to run under ThreadSanitizer too (.ci/run).

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "litetrace/trace.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

struct Run {
  uint64_t spans = 0;
  std::vector<uint64_t> ids;
};

void produce(Tracer& tracer, int spans, bool pace, std::vector<uint64_t>* ids) {
  for (int i = 0; i < spans; ++i) {
    Span s = tracer.start_span("stress", {{"i", i}});
    if (ids != nullptr) ids->push_back(s.context().span_id);
    s.add_event("e");
    if (pace && i % 64 == 63) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

TEST(Stress, ExactAccountingAndExactlyOnceDelivery) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = test::options_for(receiver);
  o.flush_interval = std::chrono::milliseconds(50);
  // Room for all of a thread's spans (1500 of ~170 bytes) even if the batcher never ran
  // while they were made: on a loaded machine it may not.
  o.ring_bytes_per_thread = 1 << 20;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("stress");

  constexpr size_t kLongLived = 4;
  constexpr size_t kShortLived = 24;
  constexpr int kSpansEach = 1500;
  std::vector<std::vector<uint64_t>> ids(kLongLived + kShortLived);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kLongLived; ++t) {
    threads.emplace_back([&, t] { produce(tracer, kSpansEach, true, &ids[t]); });
  }
  // Short-lived threads start and exit while the others run, a few at a time.
  for (size_t wave = 0; wave < kShortLived / 4; ++wave) {
    std::vector<std::thread> wave_threads;
    for (size_t k = 0; k < 4; ++k) {
      const size_t t = kLongLived + wave * 4 + k;
      wave_threads.emplace_back([&, t] { produce(tracer, kSpansEach, true, &ids[t]); });
    }
    for (std::thread& th : wave_threads) th.join();
  }
  for (std::thread& th : threads) th.join();
  ASSERT_TRUE(provider.force_flush(std::chrono::seconds(20)));

  const uint64_t total = (kLongLived + kShortLived) * kSpansEach;
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_started, total);
  EXPECT_EQ(s.spans_ended, total);
  EXPECT_EQ(s.spans_exported + s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed, total);
  EXPECT_EQ(s.spans_dropped_queue, 0u);  // the rings cannot fill
  EXPECT_EQ(s.spans_exported, total);
  EXPECT_EQ(s.spans_pending, 0u);

  test::Arrived got;
  got.decode(test::sent_by(provider, receiver));
  std::set<uint64_t> arrived;
  for (const detail::Span* span : got.spans) EXPECT_TRUE(arrived.insert(span->span_id).second);
  EXPECT_EQ(arrived.size(), total);
  for (const auto& list : ids) {
    for (uint64_t id : list) EXPECT_EQ(arrived.count(id), 1u);
  }
}

TEST(Stress, OverloadStillAccountsForEverySpan) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = test::options_for(receiver);
  o.ring_bytes_per_thread = 8192;
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("stress");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back([&] { produce(tracer, 20000, false, nullptr); });
  for (std::thread& th : threads) th.join();
  provider.force_flush(std::chrono::seconds(20));
  const TracerStats s = provider.stats();
  EXPECT_EQ(s.spans_ended, 160000u);
  EXPECT_EQ(s.spans_exported + s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed +
                s.spans_pending,
            160000u);
  EXPECT_EQ(s.spans_pending, 0u);
  test::Arrived got;
  got.decode(test::sent_by(provider, receiver));
  EXPECT_EQ(got.spans.size(), s.spans_exported);  // loopback loses nothing; what was sent arrived
}

TEST(Stress, SpansEndingDuringShutdownAreAllAccountedFor) {
  test::UdpReceiver receiver;
  TracerProvider provider(test::options_for(receiver));
  Tracer tracer = provider.tracer("stress");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ended{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        tracer.start_span("racing shutdown").end();
        ++ended;
      }
    });
  }
  // Spans end before, during and after shutdown: each phase waited for, not assumed.
  const auto wait_for_spans = [&](uint64_t target) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (ended.load() < target && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(ended.load(), target) << "the span threads did not run";
  };
  wait_for_spans(1000);
  provider.shutdown();
  wait_for_spans(ended.load() + 1000);  // they keep ending spans after it
  stop = true;
  for (std::thread& th : threads) th.join();
  const TracerStats s = provider.stats();
  EXPECT_GT(s.spans_exported, 0u);
  EXPECT_GT(s.spans_dropped_queue, 0u);
  EXPECT_EQ(s.spans_pending, 0u);
  EXPECT_EQ(s.spans_exported + s.spans_dropped_queue + s.spans_dropped_too_large + s.spans_failed, s.spans_ended);
}

}  // namespace
}  // namespace litetrace
