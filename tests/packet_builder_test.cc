// Packets are exactly as full as their spans allow, never over the limit, and byte for
// byte what encode_emit_batch() writes for the same spans.

#include "jaeger/packet_builder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jaeger/jaeger_decoder.h"
#include "jaeger/jaeger_encoder.h"
#include "support/bytes.h"
#include "support/span_compare.h"
#include "support/span_factory.h"

namespace litetrace::detail {
namespace {

const Tag kProcessTags[] = {Tag::string("hostname", "test-host"), Tag::string("ip", "10.1.2.3")};
const Process kProcess{"packet-test", slice_of(kProcessTags)};

// A builder with a buffer of its own (the exporter gives its builders one block), sized
// exactly, so that a write past it shows under AddressSanitizer.
struct OwnBuilder {
  OwnBuilder(std::string process, size_t capacity)
      : bytes(PacketBuilder::buffer_size(process.size(), capacity, kCompactThrift)),
        b(std::move(process), capacity, bytes.data(), kCompactThrift) {}
  std::vector<uint8_t> bytes;
  PacketBuilder b;
};

TEST(PacketBuilder, SameBytesAsEncodeEmitBatch) {
  test::SpanFactory factory(21);
  OwnBuilder b_own(encode_process(kProcess), 65000);
  PacketBuilder& b = b_own.b;
  const ClientStats stats{5, 6, 7};
  b.begin(42, stats, 65000);
  std::vector<Span> added;
  for (;;) {
    const Span s = factory.random_span();
    if (b.add(s) != PacketBuilder::AddResult::kAdded) break;
    added.push_back(s);
  }
  ASSERT_GT(added.size(), 10u);
  const std::string_view packet = b.finish();
  const test::Bytes expected = test::encode_bytes([&](CompactWriter& w) {
    encode_emit_batch(w, kProcess, {added.data(), added.size()}, 42, stats);
  });
  EXPECT_EQ(std::string(expected.begin(), expected.end()), std::string(packet));
}

class PacketLimits : public ::testing::TestWithParam<size_t> {};

TEST_P(PacketLimits, SmallSpansFillAtLeast95PercentAndNeverExceed) {
  const size_t limit = GetParam();
  test::SpanFactory factory(limit);
  OwnBuilder b_own(encode_process(kProcess), limit);
  PacketBuilder& b = b_own.b;
  int64_t seq = 1;
  b.begin(seq, {}, limit);
  int packets = 0;
  int checked_fill = 0;
  size_t total_spans = 0;
  for (size_t i = 0; packets < 30; ++i) {
    const Span s = factory.sized_span(1 + i % 3, 20 + (i * 7) % 60);  // 60-260 bytes
    PacketBuilder::AddResult r = b.add(s);
    if (r == PacketBuilder::AddResult::kFull) {
      const size_t n = b.span_count();
      const std::string_view p = b.finish();
      EXPECT_LE(p.size(), limit);
      // First fit in arrival order: what is left is less than the span that did not fit
      // (give or take the list header growing by a byte or two with one more span)...
      EXPECT_GT(p.size() + encoded_size(s), limit - 3);
      // ...so spans of at most 5 % of the limit leave at least 95 % of it used.
      if (encoded_size(s) * 20 <= limit) {
        EXPECT_GE(p.size(), limit * 95 / 100) << "packet " << packets << " holds " << n << " spans";
        ++checked_fill;
      }
      DecodedBatch d;
      std::string error;
      ASSERT_TRUE(decode_emit_batch(reinterpret_cast<const uint8_t*>(p.data()), p.size(), d, &error)) << error;
      EXPECT_EQ(d.spans.size(), n);
      EXPECT_EQ(d.seq_no, seq);
      total_spans += n;
      ++packets;
      ++seq;
      b.begin(seq, ClientStats{seq, 0, 0}, limit);
      r = b.add(s);
    }
    ASSERT_EQ(r, PacketBuilder::AddResult::kAdded);
  }
  EXPECT_GT(total_spans, 30u);
  if (limit >= 9216) {
    EXPECT_EQ(checked_fill, packets);  // real ~100-byte spans are small there
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PacketLimits, ::testing::Values(1024, 1500, 9216, 65000, 65507));

TEST(PacketBuilder, AcceptsExactlyWhatFits) {
  // Grow one span byte by byte: the builder accepts it exactly as long as the whole
  // datagram (computed independently by encode_emit_batch) is within the limit, with the
  // list header's growth from 14 to 15 spans accounted for.
  const std::string process = encode_process(kProcess);
  for (size_t limit : {600u, 1024u, 4096u}) {
    for (size_t spans_before : {0u, 13u, 14u, 15u}) {
      test::SpanFactory factory(1);
      std::vector<Span> spans;
      for (size_t i = 0; i < spans_before; ++i) spans.push_back(factory.sized_span(0, 0));
      spans.push_back(Span{});
      for (size_t value = 0; value < limit; ++value) {
        spans.back() = factory.sized_span(1, value);
        CompactWriter whole;
        encode_emit_batch(whole, kProcess, {spans.data(), spans.size()}, 1, {});
        OwnBuilder b_own(process, limit);
        PacketBuilder& b = b_own.b;
        b.begin(1, {}, limit);
        PacketBuilder::AddResult r = PacketBuilder::AddResult::kAdded;
        for (const Span& s : spans) r = b.add(s);
        ASSERT_EQ(r == PacketBuilder::AddResult::kAdded, whole.size() <= limit)
            << "limit " << limit << ", " << spans_before << " spans before, value " << value;
        if (r != PacketBuilder::AddResult::kAdded) break;
        EXPECT_EQ(b.finish().size(), whole.size());
      }
    }
  }
}

TEST(PacketBuilder, TooLargeOnlyWhenEmpty) {
  test::SpanFactory factory(2);
  OwnBuilder b_own(encode_process(kProcess), 1024);
  PacketBuilder& b = b_own.b;
  b.begin(1, {}, 1024);
  EXPECT_EQ(b.add(factory.sized_span(1, 2000)), PacketBuilder::AddResult::kTooLarge);
  EXPECT_EQ(b.add(factory.sized_span(1, 10)), PacketBuilder::AddResult::kAdded);
  EXPECT_EQ(b.add(factory.sized_span(1, 2000)), PacketBuilder::AddResult::kFull);
  EXPECT_EQ(b.span_count(), 1u);
  EXPECT_LE(encoded_size(factory.sized_span(1, 10)), b.max_span_size());
}

TEST(PacketBuilder, SpanBytesRepackIntoSmallerPackets) {
  test::SpanFactory factory(3);
  OwnBuilder big_own(encode_process(kProcess), 65000);
  PacketBuilder& big = big_own.b;
  big.begin(1, {}, 65000);
  std::vector<Span> spans;
  for (int i = 0; i < 100; ++i) {
    spans.push_back(factory.sized_span(2, 100));
    ASSERT_EQ(big.add(spans.back()), PacketBuilder::AddResult::kAdded);
  }
  OwnBuilder small_own(encode_process(kProcess), 2000);
  PacketBuilder& small = small_own.b;
  small.begin(1, {}, 2000);
  size_t seen = 0;
  DecodedBatch d;
  const auto collect = [&](std::string_view p) {
    ASSERT_LE(p.size(), 2000u);
    ASSERT_TRUE(decode_emit_batch(reinterpret_cast<const uint8_t*>(p.data()), p.size(), d, nullptr));
    for (const Span& s : d.spans) EXPECT_EQ(s.span_id, spans[seen++].span_id);  // in order
  };
  for (size_t i = 0; i < big.span_count(); ++i) {
    if (small.add_encoded(big.span_bytes(i)) == PacketBuilder::AddResult::kFull) {
      collect(small.finish());
      small.begin(2, {}, 2000);
      ASSERT_EQ(small.add_encoded(big.span_bytes(i)), PacketBuilder::AddResult::kAdded);
    }
  }
  collect(small.finish());
  EXPECT_EQ(seen, spans.size());
}

}  // namespace
}  // namespace litetrace::detail
