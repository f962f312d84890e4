// Golden bytes for the Thrift binary protocol: every primitive litetrace writes, the strict
// message header, a whole Span and a bare Batch, worked out by hand from the binary
// protocol spec (judge_binary.py has Apache Thrift decode randomized ones); and the binary
// reader reading back what the writer wrote, and surviving what it did not.

#include "jaeger/binary_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include <random>
#include <vector>

#include "jaeger/jaeger_decoder.h"
#include "jaeger/jaeger_encoder.h"
#include "support/bytes.h"
#include "support/span_compare.h"
#include "support/span_factory.h"

namespace litetrace::detail {
namespace {

using test::encode_bytes;
using test::hex;
using test::to_hex;

template <typename Encode>
test::Bytes binary(Encode encode) {
  return encode_bytes<BinaryWriter>(encode);
}

TEST(BinaryWriter, FieldsAreTypeIdAndBigEndianValues) {
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i32(2, -1); }), "08 00 02 ff ff ff ff");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i32(300, 0x01020304); }), "08 01 2c 01 02 03 04");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i64(1, 0x0102030405060708); }),
                         "0a 00 01 01 02 03 04 05 06 07 08");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_i64(6, INT64_MIN); }),
                         "0a 00 06 80 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, 1.0); }),
                         "04 00 04 3f f0 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, -0.0); }),
                         "04 00 04 80 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_double(4, std::numeric_limits<double>::infinity()); }),
                         "04 00 04 7f f0 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_bool(5, true); }), "02 00 05 01");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_bool(5, false); }), "02 00 05 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_binary(1, "ab"); }), "0b 00 01 00 00 00 02 'ab'");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.field_binary(7, ""); }), "0b 00 07 00 00 00 00");
}

TEST(BinaryWriter, ListsStructsAndTheStrictMessageHeader) {
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) {
                           w.struct_begin();
                           w.field_list_begin(10, CType::kStruct, 3);
                           w.struct_end();
                         }),
                         "0f 00 0a 0c 00 00 00 03 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) {
                           w.struct_begin();
                           w.field_struct_begin(1);
                           w.struct_end();
                           w.struct_end();
                         }),
                         "0c 00 01 00 00");
  LITETRACE_EXPECT_BYTES(binary([](BinaryWriter& w) { w.message_begin("emitBatch", MessageType::kOneway, 7); }),
                         "80 01 00 04 00 00 00 09 'emitBatch' 00 00 00 07");
}

TEST(BinaryWriter, OverflowIsStickyAndUnbalancedStructsFail) {
  uint8_t buf[5] = {};
  BinaryWriter w(buf, sizeof buf);
  w.field_i32(1, 1);  // the 3-byte header fits, the 4-byte value does not
  EXPECT_EQ(w.error(), WriteError::kOverflow);
  EXPECT_EQ(w.size(), 3u);
  w.write_byte(1);  // would fit, but the first error stops everything
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 3u);
  BinaryWriter sizing;
  sizing.struct_end();
  EXPECT_EQ(sizing.error(), WriteError::kUnbalanced);
}

// encode_tag() sizes a tag, claims its room and writes it with the unchecked writer: every
// value type, keys and values on both sides of the 16 bytes copied inline, an empty key.
TEST(BinaryWriter, EveryTagTypeInTheRoomItClaims) {
  const auto tag = [](const Tag& t) { return binary([&](BinaryWriter& w) { encode_tag(w, t); }); };
  LITETRACE_EXPECT_BYTES(tag(Tag::string("k", "v")),
                         "0b 00 01 00 00 00 01 'k' 08 00 02 00 00 00 00 0b 00 03 00 00 00 01 'v' 00");
  LITETRACE_EXPECT_BYTES(tag(Tag::float64("d", 1.5)),
                         "0b 00 01 00 00 00 01 'd' 08 00 02 00 00 00 01 04 00 04 3f f8 00 00 00 00 00 00 00");
  LITETRACE_EXPECT_BYTES(tag(Tag::boolean("b", false)),
                         "0b 00 01 00 00 00 01 'b' 08 00 02 00 00 00 02 02 00 05 00 00");
  LITETRACE_EXPECT_BYTES(tag(Tag::int64("", -2)),
                         "0b 00 01 00 00 00 00 08 00 02 00 00 00 03 0a 00 06 ff ff ff ff ff ff ff fe 00");
  LITETRACE_EXPECT_BYTES(tag(Tag::binary("seventeen.bytes.k", std::string_view("\0\xff", 2))),
                         "0b 00 01 00 00 00 11 'seventeen.bytes.k' 08 00 02 00 00 00 04 0b 00 07 00 00 00 02 00 ff 00");
  LITETRACE_EXPECT_BYTES(tag(Tag::string("k", "a value of 19 bytes")),
                         "0b 00 01 00 00 00 01 'k' 08 00 02 00 00 00 00 0b 00 03 00 00 00 13 'a value of 19 bytes' 00");

  // One byte short of the room: nothing written, the error sticks.
  uint8_t buf[23] = {};  // the tag takes 24
  BinaryWriter w(buf, sizeof buf);
  encode_tag(w, Tag::string("k", "v"));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(buf[0], 0);
}

TEST(BinaryWriter, ASpanAndABareBatch) {
  Span s;
  s.trace_id_low = 1;
  s.trace_id_high = 2;
  s.span_id = 3;
  s.operation_name = "op";
  s.flags = 1;
  s.start_time_us = 5;
  s.duration_us = 6;
  s.dropped_logs = 2;  // one otel.dropped_events_count tag
  const char* const span =
      "0a 00 01 00 00 00 00 00 00 00 01"  // traceIdLow
      " 0a 00 02 00 00 00 00 00 00 00 02"  // traceIdHigh
      " 0a 00 03 00 00 00 00 00 00 00 03"  // spanId
      " 0a 00 04 00 00 00 00 00 00 00 00"  // parentSpanId
      " 0b 00 05 00 00 00 02 'op'"        // operationName
      " 08 00 07 00 00 00 01"              // flags
      " 0a 00 08 00 00 00 00 00 00 00 05"  // startTime
      " 0a 00 09 00 00 00 00 00 00 00 06"  // duration
      " 0f 00 0a 0c 00 00 00 01"           // tags: one struct
      " 0b 00 01 00 00 00 19 'otel.dropped_events_count' 08 00 02 00 00 00 03 0a 00 06 00 00 00 00 00 00 00 02 00"
      " 00";
  LITETRACE_EXPECT_BYTES(binary([&](BinaryWriter& w) { encode_span(w, s); }), span);

  const Tag tags[] = {Tag::boolean("b", true)};
  const Process process{"svc", slice_of(tags)};
  const std::string batch = encode_batch(process, {&s, 1});
  LITETRACE_EXPECT_BYTES(test::Bytes(batch.begin(), batch.end()),
                         std::string("0c 00 01"                                          // Batch.process
                                     " 0b 00 01 00 00 00 03 'svc'"                      // serviceName
                                     " 0f 00 02 0c 00 00 00 01"                         // tags
                                     " 0b 00 01 00 00 00 01 'b' 08 00 02 00 00 00 02 02 00 05 01 00"
                                     " 00"                                              // end of Process
                                     " 0f 00 02 0c 00 00 00 01 ") +                     // Batch.spans
                             span + " 00");                                             // end of Batch
}

// The packet builder's and the collector's way (binary_span_size, encode_sized_span): a
// span sized from its lengths and written by the unchecked writer takes the bytes the checked
// writer writes, and exactly the size computed, for spans with every part (references, logs,
// each tag type, dropped counts) and without; one byte short of room, nothing is written.
TEST(BinaryWriter, ASpanSizedFromItsLengthsIsWrittenAsTheCheckedWriterWritesIt) {
  test::SpanFactory factory(10);
  std::vector<Span> spans;
  spans.push_back(Span{});
  for (int i = 0; i < 300; ++i) spans.push_back(factory.random_span());
  size_t with_references = 0, with_logs = 0, with_dropped = 0;
  for (const Span& span : spans) {
    with_references += !span.references.empty();
    with_logs += !span.logs.empty();
    with_dropped += (span.dropped_tags | span.dropped_logs | span.dropped_references) != 0;
    const test::Bytes expected = binary([&](BinaryWriter& w) { encode_span(w, span); });
    const size_t n = binary_span_size(span);
    ASSERT_EQ(n, expected.size()) << span.operation_name;
    std::vector<uint8_t> buf(n + 8, 0xAA);
    ASSERT_EQ(encode_sized_span(buf.data(), span), n);
    EXPECT_EQ(to_hex(test::Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n))), to_hex(expected));
    for (size_t i = n; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xAA) << "written past the span's size";

    std::fill(buf.begin(), buf.end(), 0xAA);
    ASSERT_EQ(kBinaryThrift.write_span(buf.data(), n, span), n);
    EXPECT_EQ(to_hex(test::Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n))), to_hex(expected));
    std::fill(buf.begin(), buf.end(), 0xAA);
    EXPECT_EQ(kBinaryThrift.write_span(buf.data(), n - 1, span), 0u);
    for (const uint8_t b : buf) ASSERT_EQ(b, 0xAA) << "written into room too small";
  }
  EXPECT_GT(with_references, 10u);  // the factory's spans have every part often enough
  EXPECT_GT(with_logs, 10u);
  EXPECT_GT(with_dropped, 10u);

  // A string the protocol cannot say (an i32 length) anywhere in the span: no size, and
  // nothing written, as the checked writer refuses it. The views are never read.
  const char byte = 'x';
  const std::string_view too_long(&byte, size_t{INT32_MAX} + 1);
  const Tag bad_key[] = {Tag::int64(too_long, 1)};
  const Tag bad_value[] = {Tag::string("k", too_long)};
  const Log bad_log[] = {Log{1, slice_of(bad_value)}};
  Span name, key, value, field, value_and_dropped;
  name.operation_name = too_long;
  key.tags = slice_of(bad_key);
  value.tags = slice_of(bad_value);
  field.logs = slice_of(bad_log);
  value_and_dropped.tags = slice_of(bad_value);
  value_and_dropped.dropped_tags = 1;  // a tag of its own after the span's
  uint8_t room[64] = {};
  for (const Span* span : {&name, &key, &value, &field, &value_and_dropped}) {
    EXPECT_EQ(binary_span_size(*span), SIZE_MAX);
    EXPECT_EQ(kBinaryThrift.write_span(room, SIZE_MAX, *span), 0u);
    BinaryWriter sizing;
    encode_span(sizing, *span);
    EXPECT_FALSE(sizing.ok());
  }
}

// What the binary writer writes, the binary reader reads back (litetrace-dump's collector
// and agent ports), whole messages and bare Batches alike.
TEST(BinaryReader, ReadsBackRandomizedSpansInBothForms) {
  test::SpanFactory factory(8);
  std::vector<Span> spans;
  for (int i = 0; i < 50; ++i) spans.push_back(factory.random_span());
  const Tag ptags[] = {Tag::string("ip", "10.0.0.1"), Tag::boolean("b", true), Tag::float64("d", -0.0)};
  const Process p{"service \xF0\x9F\x99\x82", slice_of(ptags)};

  const test::Bytes message = binary([&](BinaryWriter& w) {
    encode_emit_batch(w, p, {spans.data(), spans.size()}, INT64_MAX, ClientStats{-1, 0, INT64_MIN});
  });
  DecodedBatch d;
  std::string error;
  ASSERT_TRUE(decode_emit_batch_binary(message.data(), message.size(), d, &error)) << error;
  EXPECT_EQ(d.message.type, MessageType::kOneway);
  EXPECT_EQ(d.process.service_name, p.service_name);
  test::expect_same_tags(d.process.tags, p.tags);
  ASSERT_TRUE(d.has_seq_no && d.has_stats);
  EXPECT_EQ(d.seq_no, INT64_MAX);
  EXPECT_EQ(d.stats.failed_to_emit_spans, INT64_MIN);
  ASSERT_EQ(d.spans.size(), spans.size());
  for (size_t i = 0; i < spans.size(); ++i) test::expect_same_span(spans[i], d.spans[i]);

  const std::string bare = encode_batch(p, {spans.data(), spans.size()});
  const auto* data = reinterpret_cast<const uint8_t*>(bare.data());
  ASSERT_TRUE(decode_batch_binary(data, bare.size(), d, &error)) << error;
  EXPECT_FALSE(d.has_seq_no);
  ASSERT_EQ(d.spans.size(), spans.size());
  for (size_t i = 0; i < spans.size(); ++i) test::expect_same_span(spans[i], d.spans[i]);

  // Not the other protocol, and not a message when a bare Batch is expected.
  EXPECT_FALSE(decode_emit_batch(message.data(), message.size(), d, &error));
  EXPECT_FALSE(decode_batch_binary(message.data(), message.size(), d, &error));
  EXPECT_FALSE(decode_emit_batch_binary(data, bare.size(), d, &error));
  EXPECT_NE(error.find("not a message of this protocol"), std::string::npos) << error;
}

TEST(BinaryReader, SurvivesEveryTruncationAndBitFlip) {
  test::SpanFactory factory(9);
  std::vector<Span> spans;
  for (int i = 0; i < 3; ++i) spans.push_back(factory.random_span());
  const std::string good = encode_batch(Process{"svc", {}}, {spans.data(), spans.size()});
  const auto* data = reinterpret_cast<const uint8_t*>(good.data());
  DecodedBatch d;
  std::string error;
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_batch_binary(data, n, d, &error)) << "prefix of " << n << " bytes";
  }
  std::mt19937_64 rng(4);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    bad[static_cast<size_t>(rng() % bad.size())] ^= static_cast<char>(1u << (rng() % 8));
    decode_batch_binary(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), d, nullptr);  // no crash, no UB
  }
}

}  // namespace
}  // namespace litetrace::detail
