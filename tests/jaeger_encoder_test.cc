// Jaeger structs on the wire: golden bytes for each struct, exact envelope sizes, and
// decode(encode(x)) == x for randomized spans.

#include "jaeger/jaeger_encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "jaeger/jaeger_decoder.h"
#include "support/bytes.h"
#include "support/span_compare.h"
#include "support/span_factory.h"

namespace litetrace::detail {
namespace {

using test::Bytes;
using test::encode_bytes;
using test::hex;
using test::to_hex;

Bytes tag_bytes(const Tag& t) {
  return encode_bytes([&](CompactWriter& w) { encode_tag(w, t); });
}

TEST(JaegerEncoder, TagOfEachType) {
  // key(1), vType(2), then exactly the value field vType names.
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::string("k", "v")), "18 01 'k' 15 00 18 01 'v' 00");
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::float64("k", 1.5)), "18 01 'k' 15 02 27 00 00 00 00 00 00 f8 3f 00");
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::boolean("k", true)), "18 01 'k' 15 04 31 00");
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::boolean("k", false)), "18 01 'k' 15 04 32 00");
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::int64("k", -1)), "18 01 'k' 15 06 46 01 00");
  LITETRACE_EXPECT_BYTES(tag_bytes(Tag::binary("k", std::string_view("\x00\xff", 2))),
                         "18 01 'k' 15 08 58 02 00 ff 00");
}

TEST(JaegerEncoder, MinimalSpanWritesEveryRequiredField) {
  Span s;
  s.trace_id_low = 1;
  s.span_id = 2;
  s.operation_name = "op";
  s.flags = kFlagSampled;
  s.start_time_us = 1000;
  s.duration_us = 5;
  // traceIdHigh and parentSpanId are required: written even when 0. Field 7 follows 5
  // with delta 2 because optional references (6) are absent.
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) { encode_span(w, s); }),
                         "16 02 16 00 16 04 16 00 18 02 'op' 25 02 16 d0 0f 16 0a 00");
}

TEST(JaegerEncoder, FullSpan) {
  const Tag tags[] = {Tag::string("a", "b")};
  const Tag fields[] = {Tag::string("event", "x")};
  const Log logs[] = {{7, slice_of(fields)}};
  const SpanRef refs[] = {{RefType::kFollowsFrom, 3, 4, 5}};
  Span s;
  s.trace_id_low = UINT64_MAX;  // goes out as i64 -1
  s.trace_id_high = 0x8000000000000000u;
  s.span_id = 1;
  s.parent_span_id = 9;
  s.operation_name = "";
  s.references = slice_of(refs);
  s.flags = kFlagSampled | kFlagDebug;
  s.start_time_us = -1;
  s.duration_us = 0;
  s.tags = slice_of(tags);
  s.logs = slice_of(logs);
  s.dropped_logs = 2;
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) { encode_span(w, s); }),
                         "16 01 "                          // traceIdLow -1
                         "16 ff ff ff ff ff ff ff ff ff 01 "  // traceIdHigh INT64_MIN
                         "16 02 16 12 18 00 "              // spanId 1, parent 9, name ""
                         "19 1c 15 02 16 06 16 08 16 0a 00 "  // references [FOLLOWS_FROM 3 4 5]
                         "15 06 16 01 16 00 "              // flags 3, start -1, duration 0
                         "19 2c "                          // tags: 2 structs
                         "18 01 'a' 15 00 18 01 'b' 00 "
                         "18 19 'otel.dropped_events_count' 15 06 46 04 00 "
                         "19 1c 16 0e 19 1c 18 05 'event' 15 00 18 01 'x' 00 00 "  // logs
                         "00");
}

TEST(JaegerEncoder, ProcessAndWholeBatch) {
  const Tag ptags[] = {Tag::string("hostname", "h")};
  const Process p{"svc", slice_of(ptags)};
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) { encode_process(w, p); }),
                         "18 03 'svc' 19 1c 18 08 'hostname' 15 00 18 01 'h' 00 00");
  Span s;
  s.trace_id_low = 1;
  s.span_id = 2;
  s.operation_name = "op";
  s.start_time_us = 1000;
  s.duration_us = 5;
  const Span spans[] = {s};
  const Process bare{"svc", {}};
  LITETRACE_EXPECT_BYTES(encode_bytes([&](CompactWriter& w) {
                           encode_emit_batch(w, bare, slice_of(spans), 7, ClientStats{1, 2, 3});
                         }),
                         "82 81 00 09 'emitBatch' "  // oneway emitBatch, seqid 0
                         "1c "                       // emitBatch_args.batch
                         "1c 18 03 'svc' 00 "        // Batch.process
                         "19 1c "                    // Batch.spans: 1 struct
                         "16 02 16 00 16 04 16 00 18 02 'op' 25 02 16 d0 0f 16 0a 00 "
                         "16 0e "                    // Batch.seqNo 7
                         "1c 16 02 16 04 16 06 00 "  // Batch.stats {1, 2, 3}
                         "00 00");                   // Batch stop, args stop
}

TEST(JaegerEncoder, EnvelopeSizesAreExact) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    const auto pick = [&]() -> int64_t {
      switch (rng() % 4) {
        case 0: return 0;
        case 1: return INT64_MIN;
        case 2: return static_cast<int64_t>(rng() >> (rng() % 64));
        default: return -static_cast<int64_t>(rng() >> (1 + rng() % 63));
      }
    };
    const int64_t seq = pick();
    const ClientStats stats{pick(), pick(), pick()};
    const size_t count = static_cast<size_t>(rng() % 5000);
    const std::string process(static_cast<size_t>(rng() % 400), 'p');
    const Bytes head = encode_bytes([&](CompactWriter& w) { encode_batch_head(w, process, count); });
    EXPECT_EQ(head.size(), batch_head_size(process.size(), count));
    const Bytes tail = encode_bytes([&](CompactWriter& w) {
      resume_batch_after_spans(w);
      encode_batch_tail(w, seq, stats);
    });
    EXPECT_EQ(tail.size(), batch_tail_size(seq, stats));
    EXPECT_LE(tail.size(), kMaxBatchTailSize);
  }
}

// Tags of every type, with keys and strings from empty to past a one-byte length (128),
// whose texts live in `texts`.
std::vector<Tag> random_tags(std::mt19937_64& rng, std::deque<std::string>& texts, size_t count) {
  std::vector<Tag> tags;
  const auto text = [&]() -> std::string_view {
    texts.emplace_back(static_cast<size_t>(rng() % 300), static_cast<char>('a' + rng() % 26));
    return texts.back();
  };
  for (size_t i = 0; i < count; ++i) {
    const std::string_view key = text();
    switch (rng() % 5) {
      case 0: tags.push_back(Tag::string(key, text())); break;
      case 1: tags.push_back(Tag::binary(key, text())); break;
      case 2: tags.push_back(Tag::float64(key, static_cast<double>(rng()) / 3)); break;
      case 3: tags.push_back(Tag::boolean(key, rng() % 2 == 0)); break;
      default: tags.push_back(Tag::int64(key, rng() % 2 == 0 ? INT64_MIN : static_cast<int64_t>(rng()))); break;
    }
  }
  return tags;
}

// What a lean program links writes the Process, a scope's tags and the envelope with the
// unchecked writer, into room it bounds; the checked writer's bytes are the reference.
TEST(JaegerEncoder, TheUncheckedWritersBytesAreTheCheckedOnes) {
  std::mt19937_64 rng(23);
  for (int i = 0; i < 300; ++i) {
    std::deque<std::string> texts;
    // Up to 20 tags: a list header of one byte (14 or fewer) and of two.
    const std::vector<Tag> tags = random_tags(rng, texts, static_cast<size_t>(rng() % 21));
    const Slice<Tag> run{tags.data(), tags.size()};
    const std::string name(static_cast<size_t>(rng() % 300), 's');
    const Process process{name, run};
    const std::string unchecked = encode_process(process);
    EXPECT_EQ(to_hex(Bytes(unchecked.begin(), unchecked.end())),
              to_hex(encode_bytes([&](CompactWriter& w) { encode_process(w, process); })));

    TagRunCache cache;
    const int scope = 0;
    const TagRun cached = cache.add(&scope, run);
    EXPECT_EQ(cached.count, tags.size());
    Bytes expected;
    for (const Tag& t : tags) {
      const Bytes one = tag_bytes(t);
      expected.insert(expected.end(), one.begin(), one.end());
    }
    EXPECT_EQ(to_hex(Bytes(cached.bytes.begin(), cached.bytes.end())), to_hex(expected));
    EXPECT_EQ(cache.find(&scope).bytes.data(), cached.bytes.data());

    const int64_t seq = rng() % 2 == 0 ? INT64_MIN : static_cast<int64_t>(rng() >> (rng() % 64));
    const ClientStats stats{static_cast<int64_t>(rng()), INT64_MIN, static_cast<int64_t>(rng() % 1000)};
    const size_t count = static_cast<size_t>(rng() % 5000);
    Bytes head(batch_head_size(unchecked.size(), count));
    Bytes tail(batch_tail_size(seq, stats));
    protocol_write_envelope(kCompactThrift, head.data(), head.size(), tail.data(), tail.size(), unchecked, count, seq,
                            stats);
    EXPECT_EQ(to_hex(head), to_hex(encode_bytes([&](CompactWriter& w) { encode_batch_head(w, unchecked, count); })));
    EXPECT_EQ(to_hex(tail), to_hex(encode_bytes([&](CompactWriter& w) {
                resume_batch_after_spans(w);
                encode_batch_tail(w, seq, stats);
              })));
  }
}

TEST(JaegerEncoder, RandomSpansRoundTripThroughTheDecoder) {
  test::SpanFactory factory(1234);
  DecodedBatch storage;
  for (int i = 0; i < 1500; ++i) {
    const Span s = factory.random_span();
    const Bytes b = encode_bytes([&](CompactWriter& w) { encode_span(w, s); });
    EXPECT_EQ(b.size(), encoded_size(s));
    Span back;
    std::string error;
    ASSERT_TRUE(decode_span({reinterpret_cast<const char*>(b.data()), b.size()}, storage, back, &error))
        << error;
    test::expect_same_span(s, back);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(JaegerEncoder, BatchRoundTripsThroughTheDecoder) {
  test::SpanFactory factory(99);
  std::vector<Span> spans;
  for (int i = 0; i < 50; ++i) spans.push_back(factory.random_span());
  const Tag ptags[] = {Tag::string("ip", "10.0.0.1"), Tag::boolean("b", true)};
  const Process p{"service \xF0\x9F\x99\x82", slice_of(ptags)};
  const Bytes b = encode_bytes([&](CompactWriter& w) {
    encode_emit_batch(w, p, {spans.data(), spans.size()}, INT64_MAX, ClientStats{-1, 0, INT64_MIN});
  });
  DecodedBatch d;
  std::string error;
  ASSERT_TRUE(decode_emit_batch(b.data(), b.size(), d, &error)) << error;
  EXPECT_EQ(d.message.type, MessageType::kOneway);
  EXPECT_EQ(d.process.service_name, p.service_name);
  test::expect_same_tags(d.process.tags, p.tags);
  ASSERT_TRUE(d.has_seq_no);
  EXPECT_EQ(d.seq_no, INT64_MAX);
  ASSERT_TRUE(d.has_stats);
  EXPECT_EQ(d.stats.full_queue_dropped_spans, -1);
  EXPECT_EQ(d.stats.failed_to_emit_spans, INT64_MIN);
  ASSERT_EQ(d.spans.size(), spans.size());
  for (size_t i = 0; i < spans.size(); ++i) test::expect_same_span(spans[i], d.spans[i]);
}

TEST(JaegerDecoder, RejectsWhatJaegerWouldReject) {
  struct Case {
    const char* bytes;
    const char* error_contains;
  };
  const Case cases[] = {
      {"82 81 00 04 'emit' 00", "method is \"emit\""},
      {"82 41 00 09 'emitBatch' 00", "neither ONEWAY nor CALL"},
      {"82 81 00 09 'emitBatch' 00", "emitBatch_args lacks required field 1"},
      {"82 81 00 09 'emitBatch' 1c 29 0c 00 00", "Batch lacks required field 1"},
      {"82 81 00 09 'emitBatch' 1c 1c 00 19 0c 00 00", "Process lacks required field 1"},
      // A span without traceIdHigh (field 2): ids 1, 3, 4 then the rest.
      {"82 81 00 09 'emitBatch' 1c 1c 18 01 's' 00 19 1c 16 02 26 04 16 00 18 00 25 02 16 02 16 02 00 00 00",
       "Span lacks required field 2"},
      {"82 81 00 09 'emitBatch' 1c 1c 18 01 's' 00 19 0c 00 00 ff", "1 bytes left over"},
      // A STRING tag carrying a vLong instead of its vStr.
      {"82 81 00 09 'emitBatch' 1c 1c 18 01 's' 19 1c 18 01 'k' 15 00 46 02 00 00 19 0c 00 00",
       "does not carry exactly the value its vType names"},
      {"82 81 00 09 'emitBatch' 1c 1c 15 00 00 00 00", "Process.serviceName (field 1) has type i32"},
      {"82 81 00 09 'emitBatch' 1c 1c 18 01 's' 00 19 1c 16 02", "truncated input"},
  };
  for (const Case& c : cases) {
    const Bytes b = hex(c.bytes);
    DecodedBatch d;
    std::string error;
    EXPECT_FALSE(decode_emit_batch(b.data(), b.size(), d, &error)) << c.bytes;
    EXPECT_NE(error.find(c.error_contains), std::string::npos) << error << " / wanted: " << c.error_contains;
  }
}

TEST(JaegerDecoder, SkipsUnknownFieldsFromNewerClients) {
  // Batch with an extra field 9 (a string) and a Span with an extra field 20 (a list) and
  // 21 (a bool, whose value is in its header: nothing follows it).
  const Bytes b = hex(
      "82 21 05 09 'emitBatch' 1c 1c 18 01 's' 00 "
      "19 1c 16 02 16 00 16 04 16 00 18 02 'op' 25 02 16 02 16 02 09 28 33 01 02 03 11 00 "
      "58 03 'new' 00 00");
  DecodedBatch d;
  std::string error;
  ASSERT_TRUE(decode_emit_batch(b.data(), b.size(), d, &error)) << error;
  EXPECT_EQ(d.message.type, MessageType::kCall);
  EXPECT_EQ(d.message.seqid, 5);
  ASSERT_EQ(d.spans.size(), 1u);
  EXPECT_EQ(d.spans[0].operation_name, "op");
  EXPECT_FALSE(d.has_seq_no);
  EXPECT_FALSE(d.has_stats);
}

TEST(JaegerDecoder, SurvivesEveryTruncationAndBitFlip) {
  test::SpanFactory factory(5);
  std::vector<Span> spans;
  for (int i = 0; i < 3; ++i) spans.push_back(factory.random_span());
  const Process p{"svc", {}};
  const Bytes good = encode_bytes([&](CompactWriter& w) {
    encode_emit_batch(w, p, {spans.data(), spans.size()}, 1, ClientStats{});
  });
  DecodedBatch d;
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_emit_batch(good.data(), n, d, nullptr)) << "prefix of " << n << " bytes";
  }
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i) {
    Bytes bad = good;
    bad[static_cast<size_t>(rng() % bad.size())] ^= static_cast<uint8_t>(1u << (rng() % 8));
    decode_emit_batch(bad.data(), bad.size(), d, nullptr);  // any result; no crash, no UB
  }
}

}  // namespace
}  // namespace litetrace::detail
