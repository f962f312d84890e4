// Plain span records straight to compact Thrift (jaeger/record_encoder.h), and to binary
// Thrift for Jaeger's collector over HTTP (jaeger_http_format.h): the same bytes as mapping
// them to a Jaeger span and encoding that, never more than the bound, and every record that
// is not plain left to the mapper. The others made plain (jaeger/record_rewriter.h):
// arrays as the mapper's string tags, and trimmed as the view trimmer trims (span_trimmer.h).

#include "jaeger/record_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_buffer.h"
#include "core/record_normalizer.h"
#include "jaeger/binary_writer.h"
#include "jaeger/jaeger_http_format.h"
#include "jaeger/record_rewriter.h"
#include "jaeger/span_mapper.h"
#include "jaeger/span_trimmer.h"
#include "litetrace/sampler.h"
#include "support/bytes.h"
#include "support/random_record.h"
#include "support/record_builder.h"

namespace litetrace::detail {
namespace {

using test::Bytes;
using test::encode_bytes;
using test::exact_clock;
using test::kScopes;
using test::random_record;
using test::RecordBuilder;

Bytes mapped_bytes(const uint8_t* record, const TickConverter& clock) {
  SpanMapper mapper(&clock);
  const Span& span = mapper.map(record);
  return encode_bytes([&](CompactWriter& w) { encode_span(w, span); });
}

// The same in binary Thrift, by the checked writer.
Bytes mapped_binary_bytes(const uint8_t* record, const TickConverter& clock) {
  SpanMapper mapper(&clock);
  const Span& span = mapper.map(record);
  BinaryWriter sizing;
  encode_span(sizing, span);
  Bytes out(sizing.size());
  BinaryWriter w(out.data(), out.size());
  encode_span(w, span);
  EXPECT_TRUE(w.ok());
  return out;
}

// Events and links, whose logs and references take the most bytes beyond their items: each
// link with a dropped count (so a log), ids of ten varint bytes; events with empty names and
// dropped counts. `kind` 0: links, 1: events, 2: both; 3: none, but 300 attributes of short
// keys and empty strings, whose binary tags are the most beyond their items (22 bytes a tag
// beside its key: more than compact's plain_bound() allows them).
std::vector<uint8_t> crowded_record(int kind) {
  RecordBuilder r;
  r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
  r.header().start = 1764000000000000000u;
  r.header().end = r.header().start + 1000;
  r.header().parent_span_id = UINT64_MAX;
  r.name("");
  for (int i = 0; kind == 3 && i < 300; ++i) {
    const char key[] = {static_cast<char>('a' + i / 26 % 26), static_cast<char>('a' + i % 26), '\0'};
    r.string(key, "");
  }
  for (int i = 0; kind != 3 && i < 60; ++i) {
    if (kind == 0 || (kind == 2 && i % 2 == 0)) {
      r.link(UINT64_MAX, UINT64_MAX - static_cast<uint64_t>(i), UINT64_MAX, 65535);
    } else {
      r.event("", UINT64_MAX - static_cast<uint64_t>(i), 65535);
    }
  }
  return r.build();
}

// The wide varints' two ways: the loop everywhere, and pdep where this CPU runs it fast.
std::vector<bool> deposit_modes() {
  if (has_fast_bit_deposit()) return {false, true};
  std::printf("this CPU has no fast pdep: the loop alone is tested\n");
  return {false};
}

TEST(RecordEncoder, PlainRecordsAreTheMappersBytesWithinTheBound) {
  const TickConverter clock = exact_clock();
  for (const bool deposit : deposit_modes()) {
    SCOPED_TRACE(deposit ? "pdep" : "loop");
    RecordEncoder encoder(&clock, deposit);
    TagRunCache cache;
    std::mt19937_64 rng(2026);
    size_t plain = 0;
    for (int i = 0; i < 3000; ++i) {
      const std::vector<uint8_t> record = random_record(rng);
      const size_t bound = RecordEncoder::plain_bound(record.data());
      ASSERT_NE(bound, 0u) << "record " << i << " has a plain header";
      std::vector<uint8_t> out(bound + 64, 0xAA);
      const size_t n = encoder.encode(record.data(), out.data(), cache, {SIZE_MAX, 0});
      ASSERT_NE(n, 0u) << "record " << i << " is plain";
      ++plain;
      ASSERT_LE(n, bound) << "record " << i;
      ASSERT_EQ(Bytes(out.begin(), out.begin() + static_cast<ptrdiff_t>(n)), mapped_bytes(record.data(), clock))
          << "record " << i;
      for (size_t j = bound; j < out.size(); ++j) ASSERT_EQ(out[j], 0xAA) << "written past the bound, record " << i;
    }
    EXPECT_EQ(plain, 3000u);
  }
}

// Events and links that take the most bytes beyond their items (crowded_record()): still
// within the bound, and the mapper's bytes.
TEST(RecordEncoder, EventsAndLinksStayWithinTheBound) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  for (const int kind : {0, 1, 2}) {
    const std::vector<uint8_t> record = crowded_record(kind);
    const size_t bound = RecordEncoder::plain_bound(record.data());
    std::vector<uint8_t> out(bound + 64, 0xAA);
    const size_t n = encoder.encode(record.data(), out.data(), cache, {SIZE_MAX, 0});
    ASSERT_NE(n, 0u) << "kind " << kind;
    EXPECT_LE(n, bound) << "kind " << kind;
    EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<ptrdiff_t>(n)), mapped_bytes(record.data(), clock))
        << "kind " << kind;
  }
}

// Binary Thrift, as the collector over HTTP takes it: random plain records and the crowded
// ones, each the mapper's bytes by the checked binary writer, within binary_plain_bound() and
// nothing written past it. The scope's tags come from a cache of binary tags.
TEST(RecordEncoder, BinaryThriftIsTheMappersBinaryBytesWithinItsBound) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock, /*deposit=*/false);
  TagRunCache cache;
  std::mt19937_64 rng(2027);
  std::vector<std::vector<uint8_t>> records;
  for (int i = 0; i < 3000; ++i) records.push_back(random_record(rng));
  for (const int kind : {0, 1, 2, 3}) records.push_back(crowded_record(kind));
  size_t with_logs = 0, with_references = 0, with_scope = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::vector<uint8_t>& record = records[i];
    const size_t bound = RecordEncoder::binary_plain_bound(record.data());
    std::vector<uint8_t> out(bound + 64, 0xAA);
    const size_t n = encoder.encode_binary(record.data(), out.data(), cache, kRulesApplied);
    ASSERT_NE(n, 0u) << "record " << i << " is plain";
    ASSERT_LE(n, bound) << "record " << i;
    const Bytes expected = mapped_binary_bytes(record.data(), clock);
    ASSERT_EQ(Bytes(out.begin(), out.begin() + static_cast<ptrdiff_t>(n)), expected) << "record " << i;
    for (size_t j = bound; j < out.size(); ++j) ASSERT_EQ(out[j], 0xAA) << "written past the bound, record " << i;
    SpanMapper mapper(&clock);
    const Span& span = mapper.map(record.data());
    with_logs += span.logs.size != 0 ? 1 : 0;
    with_references += span.references.size != 0 ? 1 : 0;
    with_scope += RecordReader(record.data()).header().scope != nullptr ? 1 : 0;
  }
  EXPECT_GT(with_logs, 300u);
  EXPECT_GT(with_references, 300u);
  EXPECT_GT(with_scope, 300u);
}

// The encoder checks the span attribute rules as it reads the attributes: a record it
// encodes must be one the normalizer passes untouched, and every record the normalizer
// would rewrite (a key set twice, more keys than the limit, a value too long) must be left
// to it. Keys from a small set, so repeats and filter collisions ("ab"/"bb") are common.
TEST(RecordEncoder, ChecksTheAttributeRulesAsTheNormalizerDoes) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  TagRunCache binary_cache;
  std::mt19937_64 rng(7);
  const auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  const char* const keys[] = {"a", "b", "ab", "bb", "c", "long.key"};
  size_t encoded = 0;
  size_t left = 0;
  for (int i = 0; i < 3000; ++i) {
    RecordBuilder r;
    r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
    r.header().start = 1764000000000000000u;
    r.header().end = r.header().start + 1000;
    r.name("op");
    const size_t n = pick(6);
    for (size_t k = 0; k < n; ++k) {
      const char* key = keys[pick(6)];
      switch (pick(4)) {
        case 0: r.integer(key, static_cast<int64_t>(k)); break;
        case 1: r.string(key, std::string(pick(12), 'x'), ValueType::kBytes); break;
        case 2: r.string(key, "\xE2\x9C\x93" + std::string(pick(12), 'y')); break;
        default: r.string(key, std::string(pick(3), 'z'), ValueType::kString, ItemKind::kDeadAttribute); break;
      }
    }
    const std::vector<uint8_t> record = r.build();
    const size_t max_attributes = pick(5);
    const size_t max_length = pick(3) * 5;  // 0 (none), 5 or 10
    RecordNormalizer normalizer(max_attributes, max_length);
    const uint8_t* const normalized = normalizer.normalize(record.data());
    std::vector<uint8_t> out(RecordEncoder::plain_bound(record.data()));
    const size_t size = encoder.encode(record.data(), out.data(), cache, {max_attributes, max_length});
    ASSERT_EQ(size != 0, normalized == record.data()) << "record " << i;
    // Binary Thrift's encoder checks them the same way.
    std::vector<uint8_t> binary(RecordEncoder::binary_plain_bound(record.data()));
    const size_t binary_size =
        encoder.encode_binary(record.data(), binary.data(), binary_cache, {max_attributes, max_length});
    ASSERT_EQ(binary_size != 0, size != 0) << "record " << i;
    if (size != 0) {
      ++encoded;
      ASSERT_EQ(Bytes(out.begin(), out.begin() + static_cast<ptrdiff_t>(size)), mapped_bytes(record.data(), clock));
      ASSERT_EQ(Bytes(binary.begin(), binary.begin() + static_cast<ptrdiff_t>(binary_size)),
                mapped_binary_bytes(record.data(), clock));
    } else {
      ++left;
    }
  }
  // Both outcomes were met often.
  EXPECT_GT(encoded, 300u);
  EXPECT_GT(left, 300u);
}

// A plain record that the cases below change one thing of: a named scope, an attribute.
RecordBuilder base() {
  RecordBuilder r;
  r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
  r.header().scope = &kScopes[2];
  r.name("op").integer("n", 1);
  return r;
}

// What the encoder leaves to the rewriter (record_rewriter.h) or the mapper: an array (of
// the span, an event or a link).
TEST(RecordEncoder, RecordsThatAreNotPlainAreLeftToTheMapper) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  const auto encoded = [&](const std::vector<uint8_t>& record) {
    std::vector<uint8_t> out(65536);
    return RecordEncoder::plain_bound(record.data()) != 0 &&
           encoder.encode(record.data(), out.data(), cache, {SIZE_MAX, 0}) != 0;
  };
  EXPECT_TRUE(encoded(base().build()));  // the base is plain: each case below changes one thing

  std::vector<std::vector<uint8_t>> not_plain;
  {
    RecordBuilder r = base();
    r.event("e", 5).string("k", "v", ValueType::kString, ItemKind::kEventAttribute);
    not_plain.push_back(r.string("list", "", ValueType::kStringArray, ItemKind::kEventAttribute).build());
  }
  {
    RecordBuilder r = base();
    r.link(1, 2, 3);
    not_plain.push_back(r.string("list", "", ValueType::kBoolArray, ItemKind::kLinkAttribute).build());
  }
  not_plain.push_back(base().strings("list", {"a", "b"}).build());
  for (size_t i = 0; i < not_plain.size(); ++i) EXPECT_FALSE(encoded(not_plain[i])) << "case " << i;
}

// A span attribute named as one of the mapping's tags gives way to the tag (one tag per
// key) in the encoder as in the mapper; when the span has no such tag it stays.
TEST(RecordEncoder, AnAttributeTheMappingTakesGivesWayToItsTag) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  // The encoded bytes, which must be the mapper's; has_mine(): whether "mine" is among them.
  const auto encoded = [&](const std::vector<uint8_t>& record) {
    std::vector<uint8_t> out(RecordEncoder::plain_bound(record.data()));
    const size_t n = encoder.encode(record.data(), out.data(), cache, {SIZE_MAX, 0});
    EXPECT_NE(n, 0u);
    out.resize(n);
    EXPECT_EQ(out, mapped_bytes(record.data(), clock));
    return out;
  };
  const auto has_mine = [](const std::vector<uint8_t>& bytes) {
    return std::search(bytes.begin(), bytes.end(), std::begin("mine"), std::end("mine") - 1) != bytes.end();
  };
  std::vector<std::vector<uint8_t>> taken;
  {
    RecordBuilder r = base();
    r.header().status = static_cast<uint8_t>(StatusCode::kError);
    taken.push_back(r.string("error", "mine").build());
  }
  {
    RecordBuilder r = base();
    r.header().status = static_cast<uint8_t>(StatusCode::kError);
    r.text(ItemKind::kStatusDescription, "it broke");
    taken.push_back(r.string("otel.status_description", "mine").build());
  }
  {
    RecordBuilder r = base();
    r.header().dropped_events = 2;
    taken.push_back(r.string("otel.dropped_events_count", "mine").build());
  }
  taken.push_back(base().string("otel.scope.name", "mine").build());
  {
    RecordBuilder r = base();
    r.header().kind = static_cast<uint8_t>(SpanKind::kServer);
    taken.push_back(r.string("span.kind", "mine").build());
  }
  for (size_t i = 0; i < taken.size(); ++i) EXPECT_FALSE(has_mine(encoded(taken[i]))) << "case " << i;

  // A key of the mapping's that this span's mapping does not write stays an attribute.
  EXPECT_TRUE(has_mine(encoded(base().string("span.kind", "mine").string("sampler.type", "x").build())));
  {
    RecordBuilder r = base();
    r.header().status = static_cast<uint8_t>(StatusCode::kError);  // no description
    EXPECT_TRUE(has_mine(encoded(r.string("otel.status_description", "mine").build())));
  }
}

// Each key of the mapping, on a span whose header gives that tag and on one whose header
// differs in that alone: the attribute gives way on the first, stays on the second. (The
// mapper decides with the same function, so the encoder's bytes are held to the rule here.)
TEST(RecordEncoder, EachKeyOfTheMappingGivesWayExactlyWhenTheSpanHasItsTag) {
  struct Case {
    const char* key;
    // Makes the header carry the tag (yes) or not (no): the same span otherwise.
    void (*set)(SpanRecordHeader& h, bool yes);
  };
  const auto error = [](SpanRecordHeader& h, bool yes) {
    h.status = static_cast<uint8_t>(yes ? StatusCode::kError : StatusCode::kOk);
  };
  const auto kind = [](SpanRecordHeader& h, bool yes) {
    h.kind = static_cast<uint8_t>(yes ? SpanKind::kClient : SpanKind::kInternal);
  };
  const auto sampler = [](SpanRecordHeader& h, bool yes) {
    h.sampler_type = static_cast<uint8_t>(yes ? SamplerType::kProbabilistic : SamplerType::kNone);
  };
  const auto status = [](SpanRecordHeader& h, bool yes) {
    h.status = static_cast<uint8_t>(yes ? StatusCode::kOk : StatusCode::kUnset);
  };
  const auto named = [](SpanRecordHeader& h, bool yes) { h.scope = &kScopes[yes ? 1 : 0]; };
  const auto versioned = [](SpanRecordHeader& h, bool yes) { h.scope = &kScopes[yes ? 2 : 1]; };
  const Case cases[] = {
      {"span.kind", kind},
      {"sampler.type", sampler},
      {"sampler.param", sampler},
      {"error", error},
      {"otel.status_code", status},
      {"otel.status_description", error},  // with a description: below
      {"otel.scope.name", named},
      {"otel.library.name", named},
      {"otel.scope.version", versioned},
      {"otel.library.version", versioned},
      {"otel.dropped_attributes_count", [](SpanRecordHeader& h, bool yes) { h.dropped_attributes = yes ? 1 : 0; }},
      {"otel.dropped_events_count", [](SpanRecordHeader& h, bool yes) { h.dropped_events = yes ? 1 : 0; }},
      {"otel.dropped_links_count", [](SpanRecordHeader& h, bool yes) { h.dropped_links = yes ? 1 : 0; }},
  };
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  for (const Case& c : cases) {
    for (const bool yes : {true, false}) {
      RecordBuilder r;
      r.header().time_flags = kStartIsUnixNs | kEndIsUnixNs;
      r.header().scope = &kScopes[0];
      c.set(r.header(), yes);
      r.name("op");
      if (std::string_view(c.key) == "otel.status_description") r.text(ItemKind::kStatusDescription, "it broke");
      const std::vector<uint8_t> record = r.string(c.key, "mine").build();
      std::vector<uint8_t> out(RecordEncoder::plain_bound(record.data()));
      const size_t n = encoder.encode(record.data(), out.data(), cache, {SIZE_MAX, 0});
      ASSERT_NE(n, 0u) << c.key;
      out.resize(n);
      const bool kept = std::search(out.begin(), out.end(), std::begin("mine"), std::end("mine") - 1) != out.end();
      EXPECT_EQ(kept, !yes) << c.key << (yes ? " on a span with its tag" : " on a span without it");
    }
  }
}

// A record with arrays made plain: each array a string attribute of its JSON list, which the
// encoder writes as the mapper writes the array (a string tag of that list).
TEST(RecordRewriter, ArraysBecomeTheMappersStringTags) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  RecordRewriter rewriter;
  std::mt19937_64 rng(31);
  size_t with_arrays = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::vector<uint8_t> record = random_record(rng, /*arrays=*/true);
    const uint8_t* plain = rewriter.without_arrays(record.data());
    ASSERT_FALSE(RecordRewriter::has_arrays(plain)) << "record " << i;
    with_arrays += RecordRewriter::has_arrays(record.data()) ? 1 : 0;
    std::vector<uint8_t> out(RecordEncoder::plain_bound(plain));
    const size_t n = encoder.encode(plain, out.data(), cache, kRulesApplied);
    ASSERT_NE(n, 0u) << "record " << i;
    out.resize(n);
    ASSERT_EQ(out, mapped_bytes(record.data(), clock)) << "record " << i;
  }
  EXPECT_GT(with_arrays, 400u);
}

// Trimming a record to a limit gives the bytes the view trimmer gives, whenever the view
// trimmer cut no tag of the mapping's own (the record trimmer never does: it cuts attributes,
// logs and the name, and drops a span those tags alone make too large). Every branch met:
// logs cut, attributes cut, the name cut, too large.
TEST(RecordRewriter, TrimsAsTheViewTrimmerDoes) {
  const TickConverter clock = exact_clock();
  RecordEncoder encoder(&clock);
  TagRunCache cache;
  RecordRewriter rewriter;
  SpanMapper mapper(&clock);
  std::mt19937_64 rng(47);
  std::vector<uint8_t> out;
  const auto size = [&](const uint8_t* r) {
    out.resize(RecordEncoder::plain_bound(r));
    return encoder.encode(r, out.data(), cache, kRulesApplied);
  };
  size_t compared = 0, logs_cut = 0, attributes_cut = 0, names_cut = 0, too_large = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::vector<uint8_t> record = random_record(rng, /*arrays=*/false, /*mapping_keys=*/false);
    const size_t whole = size(record.data());
    ASSERT_NE(whole, 0u);
    const size_t limit = 40 + static_cast<size_t>(rng() % whole);
    const RecordRewriter::Counts all = RecordRewriter::counts(record.data());
    RecordRewriter::Counts kept;
    const bool fitted = rewriter.trim(record.data(), limit, size, &kept);
    Bytes trimmed;
    if (fitted) {
      const size_t n = size(rewriter.keep(record.data(), kept));
      ASSERT_LE(n, limit) << "record " << i;
      trimmed.assign(out.begin(), out.begin() + static_cast<ptrdiff_t>(n));
    }
    const Span& span = mapper.map(record.data());
    const size_t own_tags = span.tags.size - all.attributes;  // the mapping's
    Span view;
    if (!trim_to_fit(span, limit, &view)) {
      ASSERT_FALSE(fitted) << "record " << i << ": the view trimmer found no fit";
      ++too_large;
      continue;
    }
    if (view.tags.size < own_tags) continue;  // the view trimmer cut a tag of the mapping's
    ASSERT_TRUE(fitted) << "record " << i;
    ASSERT_EQ(trimmed, encode_bytes([&](CompactWriter& w) { encode_span(w, view); })) << "record " << i;
    ++compared;
    logs_cut += kept.logs < all.logs ? 1 : 0;
    attributes_cut += kept.attributes < all.attributes ? 1 : 0;
    names_cut += kept.name < all.name ? 1 : 0;
  }
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(logs_cut, 50u);
  EXPECT_GT(attributes_cut, 200u);
  EXPECT_GT(names_cut, 10u);
  EXPECT_GT(too_large, 10u);
}

// The requests JaegerHttpFormat made when it mapped every record (SpanMapper, then the
// view's binary encoder), built from an empty request's bytes: binary Thrift's list header
// has a fixed width, so a request is the empty one with its count set and the spans before
// its stop byte.
class MappedRequests {
 public:
  MappedRequests(const Process& process, const TickConverter* clock, size_t max_request_bytes)
      : mapper_(clock), max_request_bytes_(max_request_bytes) {
    JaegerHttpFormat empty(process, clock, max_request_bytes);
    ByteBuffer body;
    EXPECT_TRUE(empty.build(body));
    empty_.assign(body.view());
  }
  // `record` keeps the rules.
  HttpRequestFormat::Added add(const uint8_t* record) {
    const Span& span = mapper_.map(record);
    std::string bytes(binary_span_size(span), '\0');
    EXPECT_EQ(encode_sized_span(reinterpret_cast<uint8_t*>(bytes.data()), span), bytes.size());
    if (empty_.size() + spans_.size() + bytes.size() > max_request_bytes_) {
      return count_ == 0 ? HttpRequestFormat::Added::kTooLarge : HttpRequestFormat::Added::kFull;
    }
    spans_ += bytes;
    ++count_;
    return HttpRequestFormat::Added::kAdded;
  }
  std::string body() const {
    std::string body = empty_.substr(0, empty_.size() - 5);  // before the count and the stop byte
    for (int shift = 24; shift >= 0; shift -= 8) body += static_cast<char>((count_ >> shift) & 0xff);
    return body + spans_ + '\0';
  }
  size_t spans() const { return count_; }
  void clear() {
    spans_.clear();
    count_ = 0;
  }

 private:
  SpanMapper mapper_;
  size_t max_request_bytes_;
  std::string empty_;
  std::string spans_;
  size_t count_ = 0;
};

// Jaeger's collector over HTTP writes every span with the record encoder: as the ring holds
// it (add_ring_record) or after the rules, its arrays rewritten as strings (add). Its
// requests are those the mapping makes (MappedRequests, after the rules): the same answers,
// the same bodies. Random records, a quarter with arrays and a quarter under a limit of
// three attributes, into requests of at most 1,500 bytes: both of the format's ways are
// taken often, and requests fill.
TEST(JaegerHttpFormat, RingRecordsMakeTheBodiesTheMapperMakes) {
  const TickConverter clock = exact_clock();
  const Tag process_tags[] = {Tag::string("hostname", "h")};
  const Process process{"svc", {process_tags, 1}};
  constexpr size_t kRequestBytes = 1500;
  JaegerHttpFormat format(process, &clock, kRequestBytes);
  MappedRequests mapped(process, &clock, kRequestBytes);
  RecordEncoder encoder(&clock, false);
  TagRunCache cache;
  std::mt19937_64 rng(11);
  size_t as_held = 0, after_rules = 0, with_arrays = 0, full = 0, too_large = 0, requests = 0;
  const auto compare_bodies = [&] {
    ByteBuffer body;
    ASSERT_TRUE(format.build(body));
    ASSERT_EQ(format.spans(), mapped.spans());
    ASSERT_EQ(std::string(body.view()), mapped.body()) << "request " << requests;
    ASSERT_LE(body.size(), kRequestBytes);
    format.clear();
    mapped.clear();
    ++requests;
  };
  for (int i = 0; i < 2000; ++i) {
    const bool arrays = rng() % 4 == 0;
    const std::vector<uint8_t> record = random_record(rng, arrays);
    with_arrays += arrays && RecordRewriter::has_arrays(record.data());
    const size_t max_attributes = rng() % 4 == 0 ? 3 : 128;  // 128: the default
    RecordNormalizer format_rules(max_attributes, 0);
    RecordNormalizer mapped_rules(max_attributes, 0);
    std::vector<uint8_t> out(RecordEncoder::binary_plain_bound(record.data()));
    (encoder.encode_binary(record.data(), out.data(), cache, format_rules.limits()) != 0 ? as_held : after_rules) += 1;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto a = format.add_ring_record(record.data(), format_rules);
      const auto b = mapped.add(mapped_rules.normalize(record.data()));
      ASSERT_EQ(static_cast<int>(a), static_cast<int>(b)) << "record " << i;
      if (a == HttpRequestFormat::Added::kTooLarge) ++too_large;
      if (a != HttpRequestFormat::Added::kFull) break;
      ++full;
      ASSERT_EQ(attempt, 0) << "record " << i << " was full for an empty request";
      compare_bodies();
    }
  }
  compare_bodies();
  EXPECT_GT(as_held, 500u);
  EXPECT_GT(after_rules, 200u);
  EXPECT_GT(with_arrays, 200u);
  EXPECT_GT(full, 100u);
  EXPECT_GT(too_large, 10u);
}

// add() takes a record that keeps the rules, with or without arrays, as the sink gives it
// to a format that does not check them: the mapping's request, span by span.
TEST(JaegerHttpFormat, AddWritesWhatTheMappingMakes) {
  const TickConverter clock = exact_clock();
  const Process process{"svc", {}};
  JaegerHttpFormat format(process, &clock, 1 << 20);
  MappedRequests mapped(process, &clock, 1 << 20);
  std::mt19937_64 rng(12);
  for (int i = 0; i < 300; ++i) {
    const std::vector<uint8_t> record = random_record(rng, /*arrays=*/i % 2 == 0);
    RecordNormalizer rules(128, 0);
    const uint8_t* normalized = rules.normalize(record.data());
    ASSERT_EQ(static_cast<int>(format.add(normalized)), static_cast<int>(mapped.add(normalized))) << "record " << i;
  }
  ByteBuffer body;
  ASSERT_TRUE(format.build(body));
  EXPECT_EQ(format.spans(), 300u);
  EXPECT_EQ(std::string(body.view()), mapped.body());
}

// Jaeger's microseconds: a start rounded down (towards the past, before 1970 too), a
// duration rounded up, at the ends of int64_t as well (where a signed negation or + 999
// would overflow).
TEST(JaegerTimes, StartsRoundDownAndDurationsUp) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(to_us(0), 0);
  EXPECT_EQ(to_us(999), 0);
  EXPECT_EQ(to_us(1000), 1);
  EXPECT_EQ(to_us(1764000000123456789), 1764000000123456);
  EXPECT_EQ(to_us(kMax), 9223372036854775);
  EXPECT_EQ(to_us(-1), -1);
  EXPECT_EQ(to_us(-1000), -1);
  EXPECT_EQ(to_us(-1001), -2);
  EXPECT_EQ(to_us(kMin), -9223372036854776);
  for (const auto& [duration_ns, duration_us] : {std::pair<int64_t, int64_t>{0, 0},
                                                  {1, 1},
                                                  {1000, 1},
                                                  {1001, 2},
                                                  {kMax - 999, 9223372036854775},
                                                  {kMax, 9223372036854776}}) {
    SpanTimes t;
    t.start_unix_ns = -1001;
    t.duration_ns = duration_ns;
    const JaegerTimes j = jaeger_times(t);
    EXPECT_EQ(j.start_us, -2);
    EXPECT_EQ(j.duration_us, duration_us) << duration_ns;
  }
}

// The encoders read the header in place, a field at a time: each field as the record holds
// it, whichever its width, with the items after it read as before.
TEST(RecordHeaderView, ReadsEachFieldWhereTheRecordHoldsIt) {
  RecordBuilder r;
  SpanRecordHeader& h = r.header();
  h.scope = &kScopes[2];
  h.trace_id_high = 0x0102030405060708u;
  h.trace_id_low = 0x1112131415161718u;
  h.span_id = 0x2122232425262728u;
  h.parent_span_id = 0x3132333435363738u;
  h.start = 1764000000000000001u;
  h.end = 1764000000000000999u;
  h.sampler_param = 0.25;
  h.dropped_attributes = 70000;
  h.dropped_events = 70001;
  h.dropped_links = 70002;
  h.event_count = 3;  // counts the items below do not match: only the view reads them
  h.link_count = 5;
  h.status = static_cast<uint8_t>(StatusCode::kError);
  h.time_flags = kStartIsUnixNs | kEndIsUnixNs;
  h.trace_flags = 3;
  h.kind = static_cast<uint8_t>(SpanKind::kConsumer);
  h.sampler_type = static_cast<uint8_t>(SamplerType::kProbabilistic);
  h.parent_remote = 1;
  r.name("the name").integer("n", 7);
  const std::vector<uint8_t> record = r.build();

  const RecordHeaderView v(record.data());
  EXPECT_EQ(v.scope(), &kScopes[2]);
  EXPECT_EQ(v.trace_id_high(), h.trace_id_high);
  EXPECT_EQ(v.trace_id_low(), h.trace_id_low);
  EXPECT_EQ(v.span_id(), h.span_id);
  EXPECT_EQ(v.parent_span_id(), h.parent_span_id);
  EXPECT_EQ(v.start(), h.start);
  EXPECT_EQ(v.end(), h.end);
  EXPECT_EQ(v.sampler_param(), 0.25);
  EXPECT_EQ(v.dropped_attributes(), 70000u);
  EXPECT_EQ(v.dropped_events(), 70001u);
  EXPECT_EQ(v.dropped_links(), 70002u);
  EXPECT_EQ(v.event_count(), 3u);
  EXPECT_EQ(v.link_count(), 5u);
  EXPECT_EQ(v.status(), static_cast<uint8_t>(StatusCode::kError));
  EXPECT_EQ(v.time_flags(), kStartIsUnixNs | kEndIsUnixNs);
  EXPECT_EQ(v.trace_flags(), 3);
  EXPECT_EQ(v.kind(), static_cast<uint8_t>(SpanKind::kConsumer));
  EXPECT_EQ(v.sampler_type(), static_cast<uint8_t>(SamplerType::kProbabilistic));
  EXPECT_EQ(v.parent_remote(), 1);

  // The reader's copy agrees, and its items start after the header.
  RecordReader reader(record.data());
  EXPECT_EQ(reader.header().span_id, h.span_id);
  EXPECT_EQ(reader.header().dropped_links, 70002u);
  ASSERT_TRUE(reader.next_is(ItemKind::kName));
  EXPECT_EQ(reader.next_text(), "the name");
  RecordItem item;
  ASSERT_TRUE(reader.next(item));
  EXPECT_EQ(item.kind, ItemKind::kAttribute);
  EXPECT_EQ(item.attribute.key, "n");
  EXPECT_EQ(item.attribute.integer, 7);
  EXPECT_FALSE(reader.next(item));
}

}  // namespace
}  // namespace litetrace::detail
