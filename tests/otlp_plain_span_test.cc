// Span records to OTLP protobuf (otlp/otlp_mapper.h): a plain record, written straight from
// its items (append_plain_span_field), makes the request the mapper's model makes of it,
// byte for byte; every other record is left to the mapper, with nothing written.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/record_normalizer.h"
#include "core/record_reader.h"
#include "core/text.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_mapper.h"
#include "support/bytes.h"
#include "support/random_record.h"
#include "support/record_builder.h"

namespace litetrace::detail::otlp {
namespace {

using test::exact_clock;
using test::kScopes;
using test::random_record;
using test::RecordBuilder;
using test::to_hex;
using Record = std::vector<uint8_t>;
using RecordType = detail::ValueType;  // a record's value types, not AnyValue's

// The request a builder makes of the records: straight from them where they are plain
// (`direct`), or every one through the model.
std::string request(const TickConverter& clock, bool direct, const std::vector<Record>& records) {
  RequestBuilder builder(&clock, /*json=*/false, direct);
  for (const Record& r : records) EXPECT_TRUE(builder.add(r.data()));
  ByteBuffer body;
  EXPECT_TRUE(builder.build({}, body));
  return to_hex(test::Bytes(body.view().begin(), body.view().end()));
}

// Whether a record is plain, read with a RecordReader rather than as the encoder reads it:
// no arrays, and every live text valid UTF-8 (a byte string need not be).
bool is_plain(const Record& record) {
  RecordReader reader(record.data());
  RecordItem item;
  while (reader.next(item)) {
    switch (item.kind) {
      case ItemKind::kName:
      case ItemKind::kTraceState:
      case ItemKind::kStatusDescription:
      case ItemKind::kEvent:
        if (!is_valid_utf8(item.text)) return false;
        break;
      case ItemKind::kLink: break;
      case ItemKind::kAttribute:
      case ItemKind::kEventAttribute:
      case ItemKind::kLinkAttribute: {
        const RecordAttribute& a = item.attribute;
        if (is_array(a.type) || !is_valid_utf8(a.key)) return false;
        if (a.type == RecordType::kString && !is_valid_utf8(a.bytes)) return false;
        break;
      }
      default: return false;
    }
  }
  return true;
}

TEST(OtlpPlainSpan, RandomRecordsAreWrittenExactlyWhenPlainAndAsTheMapperWritesThem) {
  const TickConverter clock = exact_clock();
  std::mt19937_64 rng(20261205);
  size_t plain = 0;
  size_t not_plain = 0;
  for (int i = 0; i < 4000; ++i) {
    const Record record = random_record(rng, /*arrays=*/i % 2 == 0, /*mapping_keys=*/true, /*any_utf8=*/true);
    ByteBuffer out;
    Span header_fields;  // what the encoder reads of the span besides the record's items
    const PlainSpan written = append_plain_span_field(out, record.data(), header_fields, clock, kRulesApplied);
    if (is_plain(record)) {
      ++plain;
      ASSERT_EQ(written, PlainSpan::kWritten) << "record " << i;
    } else {
      ++not_plain;
      ASSERT_EQ(written, PlainSpan::kNotPlain) << "record " << i;
      ASSERT_EQ(out.size(), 0u) << "record " << i;
    }
    ASSERT_EQ(request(clock, true, {record}), request(clock, false, {record})) << "record " << i;
  }
  // Both kinds, many times each (the generator's odds make about two thirds plain).
  EXPECT_GT(plain, 1500u);
  EXPECT_GT(not_plain, 1000u);
}

TEST(OtlpPlainSpan, ARequestOfPlainAndOtherSpansOfSeveralScopesIsTheMappersRequest) {
  const TickConverter clock = exact_clock();
  std::mt19937_64 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<Record> records;
    for (int i = 0; i < 20; ++i) records.push_back(random_record(rng, i % 3 == 0, true, true));
    ASSERT_EQ(request(clock, true, records), request(clock, false, records)) << "round " << round;
  }
}

// Lengths on both sides of each varint width, texts that come again, and every value type
// at its edges, in records the encoder must take.
TEST(OtlpPlainSpan, LengthsAndValuesAtTheirEdges) {
  const TickConverter clock = exact_clock();
  std::vector<Record> records;
  for (const size_t n : {0u, 1u, 127u, 128u, 16383u, 16384u, 40000u}) {
    RecordBuilder r;
    SpanRecordHeader& h = r.header();
    h.trace_id_high = 1;
    h.trace_id_low = 2;
    h.span_id = 3;
    h.parent_span_id = n % 2 == 0 ? 0 : 4;
    h.time_flags = kStartIsUnixNs | kEndIsUnixNs;
    h.start = 1764000000000000000u;
    h.end = h.start + n;
    h.status = static_cast<uint8_t>(n % 3);
    h.dropped_attributes = n == 128 ? UINT32_MAX : static_cast<uint32_t>(n);
    h.dropped_events = static_cast<uint32_t>(n / 2);
    h.dropped_links = static_cast<uint32_t>(n / 3);
    h.scope = &kScopes[n % 3];
    const std::string text(n, 'x');
    r.name("first");
    r.text(ItemKind::kDeadText, "gone");
    r.text(ItemKind::kStatusDescription, "an early description");
    r.string(text.substr(0, std::min<size_t>(n, 0xFFFF)), text);  // the key as long as the value
    r.string("", "an empty key");
    r.string("caf\xc3\xa9", "\xe2\x82\xac 12");  // valid UTF-8 of two and three bytes
    r.string("bytes", "\xff\x00\x80", RecordType::kBytes);  // not text: never checked
    r.string("dead", "replaced", RecordType::kString, ItemKind::kDeadAttribute);
    r.scalar("false", RecordType::kBool, 0);
    r.scalar("true", RecordType::kBool, 1);
    r.integer("negative", -1);
    r.integer("wide", INT64_MAX);
    r.integer("zero", 0);
    r.number("half", 0.5);
    // Events and links, with attributes of every type and without: a time in ticks and in
    // Unix ns (one before 1970, left out), remote and local links, dropped counts.
    r.event(text, 5000 + n, static_cast<uint16_t>(n), /*ticks=*/true);
    r.string("k", text, RecordType::kString, ItemKind::kEventAttribute);
    r.scalar("b", RecordType::kBool, 1, ItemKind::kEventAttribute);
    r.scalar("i", RecordType::kInt64, static_cast<uint64_t>(-5), ItemKind::kEventAttribute);
    r.scalar("d", RecordType::kDouble, 0x4059000000000000u, ItemKind::kEventAttribute);
    r.string("", "\xff", RecordType::kBytes, ItemKind::kEventAttribute);
    r.integer("between", 1);  // a span attribute between events
    r.event("", n == 0 ? 0 : uint64_t{1} << 63, 0);  // no name; a time before 1970
    r.link(n, n + 1, n + 2, static_cast<uint16_t>(n), static_cast<uint8_t>(n % 2), /*remote=*/n % 3 == 0);
    r.string("link key " + text, "v", RecordType::kString, ItemKind::kLinkAttribute);
    r.scalar("n", RecordType::kInt64, n, ItemKind::kLinkAttribute);
    r.link(UINT64_MAX, UINT64_MAX, UINT64_MAX, 0, 1, true);
    r.text(ItemKind::kTraceState, n % 2 == 0 ? "" : "vendor=1");
    r.name(text);  // the last name wins
    r.text(ItemKind::kStatusDescription, n == 0 ? "" : "the last description");
    records.push_back(r.build());
  }
  for (const Record& record : records) {
    ByteBuffer out;
    Span header_fields;
    ASSERT_EQ(append_plain_span_field(out, record.data(), header_fields, clock, kRulesApplied), PlainSpan::kWritten);
    EXPECT_EQ(request(clock, true, {record}), request(clock, false, {record}));
  }
  EXPECT_EQ(request(clock, true, records), request(clock, false, records));
}

// A record as the ring holds it, under the attribute rules: written straight only when its
// attributes keep them as they stand, else normalized and mapped, as OtlpFormat does it.
// Either way the request is the one the mapper makes of the normalized record.
TEST(OtlpPlainSpan, ARecordThatBreaksTheAttributeRulesIsNormalizedFirst) {
  const TickConverter clock = exact_clock();
  std::mt19937_64 rng(99);
  const auto add_as_the_format_does = [](RequestBuilder& b, const Record& record, RecordNormalizer& rules) {
    const PlainSpan plain = b.add_plain(record.data(), rules.limits());
    if (plain == PlainSpan::kNotPlain) {
      EXPECT_TRUE(b.add(rules.normalize(record.data())));
    }
    return plain;
  };
  size_t straight = 0;
  size_t normalized_first = 0;
  for (int i = 0; i < 3000; ++i) {
    static const size_t kMaxAttributes[] = {1, 3, 128};
    static const size_t kMaxLength[] = {0, 5, 64};
    RecordNormalizer rules(kMaxAttributes[i % 3], kMaxLength[(i / 3) % 3]);
    std::vector<Record> records = {random_record(rng)};
    if (i % 4 == 0) {  // a key twice, both live: the normalizer keeps the last value
      RecordBuilder r;
      r.header().span_id = 1;
      r.name("twice");
      r.string("key", "first");
      r.integer("other", 1);
      r.string("key", "second");
      records.push_back(r.build());
    }
    for (const Record& record : records) {
      const bool keeps_the_rules = rules.normalize(record.data()) == record.data();
      RequestBuilder direct(&clock, /*json=*/false, /*direct=*/true);
      const PlainSpan plain = add_as_the_format_does(direct, record, rules);
      ASSERT_EQ(plain == PlainSpan::kWritten, keeps_the_rules && is_plain(record)) << "record " << i;
      ++(plain == PlainSpan::kWritten ? straight : normalized_first);
      RequestBuilder model(&clock, /*json=*/false, /*direct=*/false);
      EXPECT_TRUE(model.add(rules.normalize(record.data())));
      ByteBuffer a;
      ByteBuffer b;
      ASSERT_TRUE(direct.build({}, a));
      ASSERT_TRUE(model.build({}, b));
      ASSERT_EQ(to_hex(test::Bytes(a.view().begin(), a.view().end())),
                to_hex(test::Bytes(b.view().begin(), b.view().end())))
          << "record " << i;
    }
  }
  EXPECT_GT(straight, 500u);
  EXPECT_GT(normalized_first, 500u);
}

// A byte that is not UTF-8 anywhere in a text leaves the record to the mapper, which
// repairs it; nothing is written.
TEST(OtlpPlainSpan, TextThatIsNotUtf8IsTheMappers) {
  const TickConverter clock = exact_clock();
  for (int where = 0; where < 9; ++where) {
    RecordBuilder r;
    r.header().span_id = 1;
    const std::string bad = "a\xff";
    r.name(where == 0 ? bad : "name");
    r.string(where == 1 ? bad : "key", where == 2 ? bad : "value");
    if (where == 3) r.text(ItemKind::kTraceState, bad);
    if (where == 4) r.text(ItemKind::kStatusDescription, bad);
    if (where >= 5) r.event(where == 5 ? bad : "event", 1);
    if (where == 6) r.string(bad, "v", RecordType::kString, ItemKind::kEventAttribute);
    if (where == 7) r.string("k", bad, RecordType::kString, ItemKind::kEventAttribute);
    if (where == 8) {
      r.link(1, 2, 3);
      r.string("k", bad, RecordType::kString, ItemKind::kLinkAttribute);
    }
    const Record record = r.build();
    ByteBuffer out;
    Span header_fields;
    EXPECT_EQ(append_plain_span_field(out, record.data(), header_fields, clock, kRulesApplied), PlainSpan::kNotPlain)
        << where;
    EXPECT_EQ(out.size(), 0u);
    EXPECT_EQ(request(clock, true, {record}), request(clock, false, {record})) << where;
  }
}

}  // namespace
}  // namespace litetrace::detail::otlp
