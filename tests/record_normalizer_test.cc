// The span attribute rules applied off the application thread (core/record_normalizer.h),
// on records written by hand: a record that keeps them is passed through untouched; one
// that does not is rewritten (order, last values, the limit, cuts at UTF-8 boundaries).

#include "core/record_normalizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/record_reader.h"
#include "support/record_builder.h"

namespace litetrace::detail {
namespace {

using test::RecordBuilder;

// key=value for each span attribute, in order; arrays as [a|b].
std::vector<std::string> attributes(const uint8_t* record, SpanRecordHeader* header = nullptr) {
  RecordReader reader(record);
  if (header != nullptr) *header = reader.header();
  std::vector<std::string> out;
  RecordItem item;
  while (reader.next(item)) {
    if (item.kind != ItemKind::kAttribute) continue;
    const RecordAttribute& a = item.attribute;
    std::string value;
    switch (a.type) {
      case ValueType::kInt64: value = std::to_string(a.integer); break;
      case ValueType::kStringArray:
        value = "[";
        for_each_element(a, [&](const RecordAttribute& e) { value += std::string(e.bytes) + "|"; });
        value += "]";
        break;
      default: value = std::string(a.bytes); break;
    }
    out.push_back(std::string(a.key) + "=" + value);
  }
  return out;
}

TEST(RecordNormalizer, PassesAConformingRecordThroughUntouched) {
  RecordNormalizer n(3, 10);
  const std::vector<uint8_t> r = RecordBuilder().name("span").string("a", "x").integer("b", 1).build();
  EXPECT_EQ(n.normalize(r.data()), r.data());
  // Keys that share the filter's bit (the same length and last byte) are told apart in
  // full, so a span with many attributes is not rewritten for them.
  RecordNormalizer many(100, 0);
  RecordBuilder b;
  for (char c = 'a'; c <= 'z'; ++c) b.integer(std::string(1, c) + "1", c);
  const std::vector<uint8_t> lots = b.build();
  EXPECT_EQ(many.normalize(lots.data()), lots.data());
  b.integer("q1", 0);  // and a real repeat still is
  const std::vector<uint8_t> repeated = b.build();
  EXPECT_NE(many.normalize(repeated.data()), repeated.data());
  // On a filter hit ("ak" and "bk" share a bit), a repeat is looked for among the span's
  // live attributes before it: the same key in a replaced attribute or in an event's is
  // none, wherever they are.
  const std::vector<uint8_t> others = RecordBuilder()
                                          .name("span")
                                          .integer("ak", 1)
                                          .string("bk", "old", ValueType::kString, ItemKind::kDeadAttribute)
                                          .event("e", 1)
                                          .scalar("bk", ValueType::kInt64, 2, ItemKind::kEventAttribute)
                                          .integer("bk", 3)
                                          .build();
  EXPECT_EQ(n.normalize(others.data()), others.data());
  const std::vector<uint8_t> later = RecordBuilder()
                                         .name("span")
                                         .string("bk", "first")
                                         .event("e", 1)
                                         .scalar("j", ValueType::kInt64, 2, ItemKind::kEventAttribute)
                                         .integer("bk", 3)
                                         .build();
  EXPECT_NE(n.normalize(later.data()), later.data());
}

TEST(RecordNormalizer, KeepsFirstPlacesLastValuesAndCountsWhatIsOverTheLimit) {
  RecordNormalizer n(2, 0);
  const std::vector<uint8_t> r = RecordBuilder()
                                     .name("span")
                                     .integer("a", 1)
                                     .string("b", "first")
                                     .integer("c", 3)      // over the limit
                                     .string("a", "last")  // replaces a, in a's place
                                     .integer("c", 4)      // over the limit again
                                     .build();
  const uint8_t* out = n.normalize(r.data());
  ASSERT_NE(out, r.data());
  SpanRecordHeader h;
  EXPECT_EQ(attributes(out, &h), (std::vector<std::string>{"a=last", "b=first"}));
  EXPECT_EQ(h.attribute_count, 2u);
  EXPECT_EQ(h.dropped_attributes, 2u);
  EXPECT_EQ(h.size % 8, 0u);
}

// One normalizer rewrites span after span (the batcher's): its room for attributes grows for
// a span with more than any before and is reused by smaller ones, each rewritten alone.
TEST(RecordNormalizer, RewritesSpansOfEverySizeInTurn) {
  RecordNormalizer n(3, 0);
  const auto repeated = [](int keys, int times) {
    RecordBuilder b;
    b.name("span");
    for (int t = 0; t < times; ++t) {
      for (int k = 0; k < keys; ++k) b.integer("k" + std::to_string(k), t * 100 + k);
    }
    return b.build();
  };
  const auto rewritten = [&](const std::vector<uint8_t>& r, SpanRecordHeader* h) {
    const uint8_t* out = n.normalize(r.data());
    EXPECT_NE(out, r.data());
    return attributes(out, h);
  };
  SpanRecordHeader h;
  EXPECT_EQ(rewritten(repeated(1, 2), &h), (std::vector<std::string>{"k0=100"}));
  EXPECT_EQ(h.dropped_attributes, 0u);
  // 5 keys set 40 times: 200 attributes, the first three keys' last values kept.
  EXPECT_EQ(rewritten(repeated(5, 40), &h), (std::vector<std::string>{"k0=3900", "k1=3901", "k2=3902"}));
  EXPECT_EQ(h.attribute_count, 3u);
  EXPECT_EQ(h.dropped_attributes, 80u);
  EXPECT_EQ(rewritten(repeated(2, 3), &h), (std::vector<std::string>{"k0=200", "k1=201"}));
  EXPECT_EQ(h.dropped_attributes, 0u);
  EXPECT_EQ(rewritten(repeated(4, 300), &h), (std::vector<std::string>{"k0=29900", "k1=29901", "k2=29902"}));
  EXPECT_EQ(h.dropped_attributes, 300u);
}

TEST(RecordNormalizer, CutsStringsAtUtf8BoundariesAndBytesAnywhere) {
  RecordNormalizer n(10, 4);
  const std::vector<uint8_t> r = RecordBuilder()
                                     .string("s", "ab\xC3\xA9z")  // "abéz": 5 bytes, é is 2
                                     .string("raw", "\x01\x02\x03\x04\x05", ValueType::kBytes)
                                     .strings("list", {"abcdef", "ok", "xy\xC3\xA9"})
                                     .build();
  const uint8_t* out = n.normalize(r.data());
  ASSERT_NE(out, r.data());
  EXPECT_EQ(attributes(out), (std::vector<std::string>{"s=ab\xC3\xA9", "raw=\x01\x02\x03\x04", "list=[abcd|ok|xy\xC3\xA9|]"}));
  RecordNormalizer three(10, 3);
  EXPECT_EQ(attributes(three.normalize(r.data())),
            (std::vector<std::string>{"s=ab", "raw=\x01\x02\x03", "list=[abc|ok|xy|]"}));
}

TEST(RecordNormalizer, InPlaceNeverGrowsTheItems) {
  RecordNormalizer n(8, 0);
  RecordBuilder b;
  b.name("churn");
  for (int i = 0; i < 100; ++i) b.integer("progress", i).string("phase", std::string(static_cast<size_t>(i % 7), 'p'));
  std::vector<uint8_t> r = b.build();
  SpanRecordHeader h;
  std::memcpy(&h, r.data(), sizeof h);
  const size_t size = n.normalize_items(h, r.data() + sizeof h, h.items_size);
  EXPECT_LT(size, h.items_size);
  h.items_size = static_cast<uint32_t>(size);
  std::memcpy(r.data(), &h, sizeof h);
  EXPECT_EQ(attributes(r.data()), (std::vector<std::string>{"progress=99", "phase=" + std::string(99 % 7, 'p')}));
  EXPECT_EQ(h.dropped_attributes, 0u);
}

}  // namespace
}  // namespace litetrace::detail
