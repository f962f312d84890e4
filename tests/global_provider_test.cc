// The global provider (set_global_provider, global_tracer), as a library and the
// application that links it use it: acme_library (tests/global/) is instrumented through
// global_tracer() alone and fetched its tracer during static initialization. Before the
// application installs a provider its spans are no-ops that carry the incoming context on;
// after, the same tracer records to that provider with the library's scope; replacing the
// provider moves new spans and leaves spans in flight where they started; replacing it
// while threads record loses nothing uncounted. Its own executable: the global is global.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "global/acme_library.h"
#include "litetrace/trace.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

using test::Arrived;
using test::find_tag;
using test::UdpReceiver;

SpanContext incoming_context() {
  SpanContext c;
  c.trace_id = {0x0af7651916cd43ddu, 0x8448eb211c80319cu};
  c.span_id = 0xb7ad6b7169203331u;
  c.flags = kTraceFlagSampled;
  c.remote = true;
  return c;
}

std::shared_ptr<TracerProvider> provider_for(const UdpReceiver& receiver) {
  return std::make_shared<TracerProvider>(test::options_for(receiver));
}

// (ctest runs each test in a process of its own: each starts with no provider installed.)
TEST(GlobalProvider, BeforeAnyProviderTheLibrarysSpansAreNoOpsThatCarryTheContextOn) {
  ASSERT_EQ(global_provider(), nullptr);
  const SpanContext incoming = incoming_context();
  const SpanContext sent = acme::handle_request(incoming, 1);
  EXPECT_EQ(sent.trace_id.high, incoming.trace_id.high);
  EXPECT_EQ(sent.trace_id.low, incoming.trace_id.low);
  EXPECT_EQ(sent.span_id, incoming.span_id);  // nothing of its own: the incoming context, on
  EXPECT_TRUE(sent.sampled());
  EXPECT_FALSE(acme::handle_request({}, 2).valid());  // no incoming context: none
  EXPECT_FALSE(acme::start_long_operation().is_recording());
}

TEST(GlobalProvider, OnceInstalledTheSameTracerRecordsWithTheLibrarysScope) {
  UdpReceiver receiver;
  std::shared_ptr<TracerProvider> provider = provider_for(receiver);
  set_global_provider(provider);
  EXPECT_EQ(global_provider(), provider);
  const SpanContext incoming = incoming_context();
  const SpanContext sent = acme::handle_request(incoming, 7);
  EXPECT_EQ(sent.trace_id.low, incoming.trace_id.low);
  EXPECT_NE(sent.span_id, incoming.span_id);  // a span of its own now
  ASSERT_TRUE(provider->force_flush());
  EXPECT_EQ(provider->stats().spans_exported, 2u);

  Arrived arrived;
  arrived.decode(test::sent_by(*provider, receiver));
  const detail::Span* handle = arrived.by_name("acme.handle");
  const detail::Span* call = arrived.by_name("acme.call");
  ASSERT_NE(handle, nullptr);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(handle->parent_span_id, incoming.span_id);
  EXPECT_EQ(call->parent_span_id, handle->span_id);
  EXPECT_EQ(call->span_id, sent.span_id);
  for (const detail::Span* s : {handle, call}) {
    ASSERT_NE(find_tag(*s, "otel.scope.name"), nullptr);
    EXPECT_EQ(find_tag(*s, "otel.scope.name")->str, "acme.library");
    EXPECT_EQ(find_tag(*s, "otel.scope.version")->str, "1.2.0");
  }
  EXPECT_EQ(find_tag(*handle, "acme.request")->vlong, 7);
  set_global_provider(nullptr);
  EXPECT_EQ(global_provider(), nullptr);
}

TEST(GlobalProvider, ReplacingItMovesNewSpansAndSpansInFlightEndWhereTheyStarted) {
  UdpReceiver first_receiver;
  UdpReceiver second_receiver;
  std::shared_ptr<TracerProvider> first = provider_for(first_receiver);
  std::shared_ptr<TracerProvider> second = provider_for(second_receiver);
  set_global_provider(first);
  Span in_flight = acme::start_long_operation();
  EXPECT_TRUE(in_flight.is_recording());
  set_global_provider(second);
  in_flight.end();
  acme::handle_request({}, 3);
  set_global_provider(nullptr);
  EXPECT_FALSE(acme::start_long_operation().is_recording());  // removed: no-ops again
  ASSERT_TRUE(first->force_flush());
  ASSERT_TRUE(second->force_flush());

  Arrived on_first;
  on_first.decode(test::sent_by(*first, first_receiver));
  Arrived on_second;
  on_second.decode(test::sent_by(*second, second_receiver));
  ASSERT_EQ(on_first.spans.size(), 1u);
  EXPECT_EQ(on_first.spans[0]->operation_name, "acme.long");
  ASSERT_EQ(on_second.spans.size(), 2u);
  EXPECT_NE(on_second.by_name("acme.handle"), nullptr);
  EXPECT_NE(on_second.by_name("acme.call"), nullptr);
}

// Threads record through the global tracer while the provider is replaced, removed and
// put back, again and again: every span is a no-op (none installed), or ended on one of
// the providers, and counted there (TSan runs this in CI).
TEST(GlobalProvider, ReplacingItWhileThreadsRecordLosesNothingUncounted) {
  std::vector<std::shared_ptr<TracerProvider>> providers;
  TracerProviderOptions o;
  o.exporter = TracesExporter::kNone;  // recorded, then discarded and counted
  for (int i = 0; i < 4; ++i) providers.push_back(std::make_shared<TracerProvider>(o));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> no_ops{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      const Tracer tracer = global_tracer("racing");
      uint64_t mine = 0;
      uint64_t mine_no_ops = 0;
      while (!stop.load(std::memory_order_relaxed) || mine < 1000) {
        Span span = tracer.start_span("racing span");
        if (!span.context().valid()) ++mine_no_ops;
        ++mine;
      }
      started += mine;
      no_ops += mine_no_ops;
    });
  }
  for (int round = 0; round < 300; ++round) {
    set_global_provider(round % 5 == 4 ? nullptr : providers[static_cast<size_t>(round) % providers.size()]);
    std::this_thread::yield();
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  set_global_provider(nullptr);
  uint64_t ended = 0;
  for (const auto& p : providers) {
    p->shutdown();
    const TracerStats s = p->stats();
    EXPECT_EQ(s.spans_ended, s.spans_discarded + s.spans_dropped_queue) << "every span it ended, accounted for";
    ended += s.spans_ended;
  }
  EXPECT_EQ(ended + no_ops.load(), started.load());
}

}  // namespace
}  // namespace litetrace
