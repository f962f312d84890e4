// The samplers: their decisions, the Jaeger rules they follow (so they agree with other
// Jaeger clients), the tags root spans carry, and the tracer applying them.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "litetrace/sampler.h"
#include "litetrace/trace.h"
#include "sampling/rate_limiter.h"
#include "support/tracing_fixture.h"
#include "support/udp_receiver.h"

namespace litetrace {
namespace {

SamplingResult decide(Sampler& s, const SpanContext& parent, TraceId id = {1, 2}) {
  return s.should_sample({parent, id, "op", SpanKind::kInternal});
}

SpanContext parent_context(bool sampled, bool remote) {
  SpanContext p;
  p.trace_id = TraceId{7, 8};
  p.span_id = 9;
  p.flags = sampled ? kTraceFlagSampled : 0;
  p.remote = remote;
  return p;
}

TEST(Sampler, ConstSamplers) {
  AlwaysOnSampler on;
  AlwaysOffSampler off;
  const SamplingResult yes = decide(on, {});
  const SamplingResult no = decide(off, {});
  EXPECT_TRUE(yes.sampled);
  EXPECT_EQ(yes.type, SamplerType::kConst);
  EXPECT_EQ(yes.param, 1);
  EXPECT_FALSE(no.sampled);
  EXPECT_EQ(no.type, SamplerType::kConst);
  EXPECT_EQ(no.param, 0);
  EXPECT_STREQ(to_string(SamplerType::kConst), "const");
}

// The boundaries are Jaeger's (Go client: uint64(float64(2^63-1) * rate)), written out.
TEST(Sampler, TraceIdRatioIsTheJaegerProbabilisticRule) {
  EXPECT_EQ(TraceIdRatioSampler::boundary(0.001), 9223372036854776u);
  EXPECT_EQ(TraceIdRatioSampler::boundary(0.1), 922337203685477632u);
  EXPECT_EQ(TraceIdRatioSampler::boundary(0.5), 4611686018427387904u);
  EXPECT_EQ(TraceIdRatioSampler::boundary(1.0), 0x7fffffffffffffffu);
  EXPECT_EQ(TraceIdRatioSampler::boundary(0.0), 0u);
  EXPECT_EQ(TraceIdRatioSampler::boundary(-3), 0u);
  EXPECT_EQ(TraceIdRatioSampler::boundary(7), 0x7fffffffffffffffu);

  TraceIdRatioSampler half(0.5);
  const uint64_t b = 4611686018427387904u;
  EXPECT_TRUE(decide(half, {}, TraceId{0, b}).sampled) << "the boundary itself is sampled";
  EXPECT_FALSE(decide(half, {}, TraceId{0, b + 1}).sampled);
  EXPECT_TRUE(decide(half, {}, TraceId{0, 0x8000000000000000u | b}).sampled) << "the top bit is masked";
  EXPECT_TRUE(decide(half, {}, TraceId{~0ull, 0}).sampled) << "only the low 64 bits count";
  const SamplingResult r = decide(half, {}, TraceId{0, 1});
  EXPECT_EQ(r.type, SamplerType::kProbabilistic);
  EXPECT_EQ(r.param, 0.5);
  EXPECT_EQ(half.description(), "TraceIdRatio{0.5}");

  TraceIdRatioSampler all(1.0);
  TraceIdRatioSampler none(0.0);
  EXPECT_TRUE(decide(all, {}, TraceId{0, ~0ull}).sampled);
  EXPECT_FALSE(decide(none, {}, TraceId{0, 1}).sampled);
  EXPECT_TRUE(decide(none, {}, TraceId{0, 0x8000000000000000u}).sampled) << "masked to zero, as in Jaeger";
}

TEST(Sampler, ParentBasedFollowsTheParentAndAsksRootForNewTraces) {
  ParentBasedSampler sampler(std::make_shared<TraceIdRatioSampler>(0.0));
  EXPECT_FALSE(decide(sampler, {}, TraceId{0, 5}).sampled);
  EXPECT_EQ(decide(sampler, {}).type, SamplerType::kProbabilistic);
  for (const bool remote : {false, true}) {
    const SamplingResult yes = decide(sampler, parent_context(true, remote));
    EXPECT_TRUE(yes.sampled);
    EXPECT_EQ(yes.type, SamplerType::kNone) << "only roots carry sampler tags";
    EXPECT_FALSE(decide(sampler, parent_context(false, remote)).sampled);
  }
  EXPECT_EQ(sampler.description(), "ParentBased{root=TraceIdRatio{0}}");

  auto on = std::make_shared<AlwaysOnSampler>();
  auto off = std::make_shared<AlwaysOffSampler>();
  ParentBasedSampler custom(on, /*remote sampled*/ off, /*remote not sampled*/ on, /*local sampled*/ off,
                            /*local not sampled*/ on);
  EXPECT_FALSE(decide(custom, parent_context(true, true)).sampled);
  EXPECT_TRUE(decide(custom, parent_context(false, true)).sampled);
  EXPECT_FALSE(decide(custom, parent_context(true, false)).sampled);
  EXPECT_TRUE(decide(custom, parent_context(false, false)).sampled);
}

constexpr uint64_t kSecond = 1000000000;

TEST(Sampler, LeakyBucketCreditsAndBalance) {
  using detail::RateLimit;
  using detail::take_credit;
  const uint64_t t0 = 1000 * kSecond;
  {
    std::atomic<uint64_t> state{0};
    const RateLimit two = RateLimit::per_second(2);  // balance up to 2
    EXPECT_TRUE(take_credit(state, two, t0));
    EXPECT_TRUE(take_credit(state, two, t0));
    EXPECT_FALSE(take_credit(state, two, t0)) << "the bucket starts full and holds two";
    EXPECT_FALSE(take_credit(state, two, t0 + kSecond / 2 - 1));
    EXPECT_TRUE(take_credit(state, two, t0 + kSecond / 2)) << "one credit every half second";
    EXPECT_FALSE(take_credit(state, two, t0 + kSecond / 2));
    EXPECT_TRUE(take_credit(state, two, t0 + 100 * kSecond));
    EXPECT_TRUE(take_credit(state, two, t0 + 100 * kSecond));
    EXPECT_FALSE(take_credit(state, two, t0 + 100 * kSecond)) << "an idle bucket never holds more than 2";
  }
  {
    std::atomic<uint64_t> state{0};
    const RateLimit slow = RateLimit::per_second(0.5);  // balance up to max(0.5, 1) = 1
    EXPECT_TRUE(take_credit(state, slow, t0));
    EXPECT_FALSE(take_credit(state, slow, t0 + kSecond));
    EXPECT_TRUE(take_credit(state, slow, t0 + 2 * kSecond));
  }
  std::atomic<uint64_t> state{0};
  EXPECT_FALSE(take_credit(state, RateLimit::per_second(0), t0)) << "rate 0: never";
  EXPECT_FALSE(take_credit(state, RateLimit::per_second(-1), t0));
}

// Threads racing for the same bucket get exactly its balance between them.
TEST(Sampler, LeakyBucketIsExactUnderContention) {
  std::atomic<uint64_t> state{0};
  const detail::RateLimit limit = detail::RateLimit::per_second(1000);
  const uint64_t now = 5000 * kSecond;
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) granted += detail::take_credit(state, limit, now) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1000);
}

TEST(Sampler, RateLimitingSamplerTags) {
  RateLimitingSampler sampler(3);
  int sampled = 0;
  for (int i = 0; i < 100; ++i) sampled += decide(sampler, {}).sampled ? 1 : 0;
  // The bucket holds 3; a slow machine may earn a credit or two more meanwhile.
  EXPECT_GE(sampled, 3);
  EXPECT_LT(sampled, 10);
  const SamplingResult r = decide(sampler, {});
  EXPECT_EQ(r.type, SamplerType::kRateLimiting);
  EXPECT_EQ(r.param, 3);
  EXPECT_EQ(sampler.description(), "RateLimiting{3}");
}

TEST(Sampler, TheTracerAppliesTheSamplerAndTagsRoots) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = test::options_for(receiver);
  o.sampler = std::make_shared<ParentBasedSampler>(std::make_shared<TraceIdRatioSampler>(0.5));
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  int expected_sampled = 0;
  int expected_children = 0;
  for (int i = 0; i < 200; ++i) {
    Span root = tracer.start_span("root");
    const bool rule = TraceIdRatioSampler::sampled(root.context().trace_id, TraceIdRatioSampler::boundary(0.5));
    EXPECT_EQ(root.is_recording(), rule);
    EXPECT_EQ(root.context().sampled(), rule);
    Scope scope(root);
    Span child = tracer.start_span("child");
    EXPECT_EQ(child.is_recording(), rule) << "children follow their root";
    expected_sampled += rule ? 1 : 0;
    expected_children += rule ? 1 : 0;
  }
  ASSERT_GT(expected_sampled, 50);
  ASSERT_LT(expected_sampled, 150);
  ASSERT_TRUE(provider.force_flush());
  const TracerStats stats = provider.stats();
  EXPECT_EQ(stats.spans_started, static_cast<uint64_t>(expected_sampled + expected_children));
  EXPECT_EQ(stats.spans_not_sampled, static_cast<uint64_t>(400 - expected_sampled - expected_children));

  test::Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), static_cast<size_t>(expected_sampled + expected_children));
  for (const detail::Span* s : got.spans) {
    const detail::Tag* type = test::find_tag(*s, "sampler.type");
    const detail::Tag* param = test::find_tag(*s, "sampler.param");
    if (s->parent_span_id != 0) {
      EXPECT_EQ(type, nullptr);
      EXPECT_EQ(param, nullptr);
      continue;
    }
    ASSERT_NE(type, nullptr);
    ASSERT_NE(param, nullptr);
    EXPECT_EQ(type->str, "probabilistic");
    EXPECT_EQ(param->type, detail::TagType::kDouble);
    EXPECT_EQ(param->vdouble, 0.5);
  }
}

TEST(Sampler, AConfiguredConstSamplerTagsRootsAsJaegerDoes) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = test::options_for(receiver);
  o.sampler = std::make_shared<AlwaysOnSampler>();
  TracerProvider provider(o);
  provider.tracer("").start_span("root").end();
  ASSERT_TRUE(provider.force_flush());
  test::Arrived got;
  got.decode(test::sent_by(provider, receiver));
  ASSERT_EQ(got.spans.size(), 1u);
  ASSERT_NE(test::find_tag(*got.spans[0], "sampler.type"), nullptr);
  EXPECT_EQ(test::find_tag(*got.spans[0], "sampler.type")->str, "const");
  EXPECT_EQ(test::find_tag(*got.spans[0], "sampler.param")->type, detail::TagType::kBool);
  EXPECT_TRUE(test::find_tag(*got.spans[0], "sampler.param")->vbool);
}

TEST(Sampler, AlwaysOffRecordsNothingButContextsPropagate) {
  test::UdpReceiver receiver;
  TracerProviderOptions o = test::options_for(receiver);
  o.sampler = std::make_shared<AlwaysOffSampler>();
  TracerProvider provider(o);
  Tracer tracer = provider.tracer("");
  Span s = tracer.start_span("dropped");
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().valid());
  EXPECT_FALSE(s.context().sampled());
  s.end();
  ASSERT_TRUE(provider.force_flush());
  EXPECT_TRUE(receiver.drain(std::chrono::milliseconds(100)).empty());
  EXPECT_EQ(provider.stats().spans_not_sampled, 1u);
}

}  // namespace
}  // namespace litetrace
