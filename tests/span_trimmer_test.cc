// A span too large for a packet keeps the longest prefix of its logs, then of its tags,
// that fits, and counts what it lost.

#include "jaeger/span_trimmer.h"

#include <gtest/gtest.h>

#include "jaeger/jaeger_encoder.h"
#include "support/span_factory.h"

namespace litetrace::detail {
namespace {

TEST(SpanTrimmer, FittingSpanIsUntouched) {
  test::SpanFactory f(1);
  const Span s = f.sized_span(3, 10);
  Span out;
  ASSERT_TRUE(trim_to_fit(s, encoded_size(s), &out));
  EXPECT_EQ(out.tags.size, 3u);
  EXPECT_EQ(out.dropped_tags, 0u);
}

TEST(SpanTrimmer, DropsLogsBeforeTags) {
  test::SpanFactory f(2);
  Span s = f.sized_span(10, 50);
  std::vector<Log> logs(20);
  const Tag field = Tag::string("event", std::string_view("................................................"));
  for (size_t i = 0; i < logs.size(); ++i) logs[i] = {static_cast<int64_t>(i), {&field, 1}};
  s.logs = f.store().keep(logs);
  const size_t full = encoded_size(s);
  Span out;
  ASSERT_TRUE(trim_to_fit(s, full - 200, &out));
  EXPECT_EQ(out.tags.size, 10u);
  EXPECT_LT(out.logs.size, 20u);
  EXPECT_EQ(out.dropped_logs, 20u - out.logs.size);
  EXPECT_LE(encoded_size(out), full - 200);
  // The fewest dropped: one more log would not fit.
  Span one_more = out;
  one_more.logs = s.logs.first(out.logs.size + 1);
  one_more.dropped_logs = out.dropped_logs - 1;
  EXPECT_GT(encoded_size(one_more), full - 200);
}

TEST(SpanTrimmer, DropsTagsWhenLogsAreNotEnoughAndAddsToEarlierDrops) {
  test::SpanFactory f(3);
  Span s = f.sized_span(100, 100);
  s.dropped_tags = 7;  // already dropped by attribute limits
  Span out;
  ASSERT_TRUE(trim_to_fit(s, 2000, &out));
  EXPECT_LT(out.tags.size, 100u);
  EXPECT_GT(out.tags.size, 10u);
  EXPECT_EQ(out.dropped_tags, 7u + (100u - out.tags.size));
  EXPECT_EQ(out.tags.data, s.tags.data);  // a prefix: the first tags are the ones kept
  EXPECT_LE(encoded_size(out), 2000u);
}

// A name longer than a packet is cut (at a UTF-8 boundary) so the span still goes out,
// with as many tags as fit beside an empty name.
TEST(SpanTrimmer, CutsANameLongerThanThePacketAtAUtf8Boundary) {
  test::SpanFactory f(4);
  Span s = f.sized_span(3, 10);
  std::string huge;
  while (huge.size() < 5000) huge += "n\xC3\xA9";  // "né": the cut may not split the é
  s.operation_name = huge;
  Span out;
  ASSERT_TRUE(trim_to_fit(s, 4000, &out));
  EXPECT_LE(encoded_size(out), 4000u);
  EXPECT_GT(encoded_size(out), 4000u - 3);  // the longest prefix that fits, to a character
  EXPECT_EQ(huge.compare(0, out.operation_name.size(), out.operation_name), 0);
  EXPECT_NE(static_cast<unsigned char>(huge[out.operation_name.size()]) & 0xC0, 0x80) << "split a character";
  EXPECT_EQ(out.tags.size, 3u);  // the tags keep their place before the name's tail
  EXPECT_EQ(out.dropped_tags, 0u);

  // Tags that leave no room for any name: as many as fit, then the name.
  Span crowded = f.sized_span(100, 100);
  crowded.operation_name = huge;
  ASSERT_TRUE(trim_to_fit(crowded, 4000, &out));
  EXPECT_LE(encoded_size(out), 4000u);
  EXPECT_LT(out.tags.size, 100u);
  EXPECT_EQ(out.dropped_tags, 100u - out.tags.size);
}

TEST(SpanTrimmer, GivesUpWhenEvenANamelessBareSpanIsTooLarge) {
  test::SpanFactory f(4);
  Span s = f.sized_span(1, 10);
  std::vector<SpanRef> refs(400, SpanRef{RefType::kFollowsFrom, ~0ull >> 2, ~0ull >> 2, ~0ull >> 2});  // ~12 KB of references
  s.references = {refs.data(), refs.size()};
  Span out;
  EXPECT_FALSE(trim_to_fit(s, 4000, &out));
}

}  // namespace
}  // namespace litetrace::detail
