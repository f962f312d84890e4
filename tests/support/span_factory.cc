#include "span_factory.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace litetrace::test {
namespace {

// Code points of 1, 2, 3 and 4 UTF-8 bytes, control characters and quotes included.
constexpr uint32_t kCodePoints[] = {'a',    'Z',    '0',    ' ',     '"',     '\\',    '\n',
                                    0x01,   0x7F,   0xE9,   0x3B1,   0x416,   0x2192,  0x4E2D,
                                    0xFFFD, 0xFEFF, 0x1F642, 0x1F680, 0x10348, 0x10FFFF};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string SpanFactory::random_utf8(size_t max_bytes) {
  std::string s;
  const size_t target = below(max_bytes + 1);
  while (s.size() + 4 <= target) {
    append_utf8(s, kCodePoints[below(sizeof kCodePoints / sizeof kCodePoints[0])]);
  }
  return s;
}

std::string SpanFactory::random_bytes(size_t max_len) {
  std::string s(below(max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng_() & 0xFF);
  return s;
}

std::string SpanFactory::random_string(size_t max_len) {
  switch (below(5)) {
    case 0: return std::string();
    case 1: return random_utf8(max_len);
    case 2: return std::string(below(max_len + 1), 'x');
    default: {
      std::string s(below(24) + 1, 'a');
      for (char& c : s) c = static_cast<char>('a' + below(26));
      return s;
    }
  }
}

double SpanFactory::random_double() {
  switch (below(10)) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return std::numeric_limits<double>::quiet_NaN();
    case 3: return std::numeric_limits<double>::infinity();
    case 4: return -std::numeric_limits<double>::infinity();
    case 5: return std::numeric_limits<double>::denorm_min();
    case 6: return std::numeric_limits<double>::max();
    default: {
      const uint64_t bits = rng_();
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      return std::isnan(d) ? 1.5 : d;  // NaN payloads other than the quiet one are not portable
    }
  }
}

int64_t SpanFactory::random_i64() {
  switch (below(8)) {
    case 0: return std::numeric_limits<int64_t>::min();
    case 1: return std::numeric_limits<int64_t>::max();
    case 2: return 0;
    case 3: return -1;
    case 4: return static_cast<int64_t>(below(200)) - 100;
    default: return static_cast<int64_t>(rng_());
  }
}

uint64_t SpanFactory::random_id() {
  switch (below(8)) {
    case 0: return std::numeric_limits<uint64_t>::max();
    case 1: return 1;
    case 2: return 0x8000000000000000u;
    default: return rng_() | 1;
  }
}

Tag SpanFactory::random_tag() {
  const std::string_view key = store_.keep(random_string(40));
  switch (below(5)) {
    case 0: return Tag::string(key, store_.keep(random_string(limits_.max_string)));
    case 1: return Tag::float64(key, random_double());
    case 2: return Tag::boolean(key, chance(50));
    case 3: return Tag::int64(key, random_i64());
    default: return Tag::binary(key, store_.keep(random_bytes(limits_.max_string / 4)));
  }
}

Span SpanFactory::random_span() {
  Span s;
  s.trace_id_low = random_id();
  s.trace_id_high = chance(30) ? 0 : random_id();  // 64-bit and 128-bit trace ids
  // Unique per factory, so a receiver can match what it got to what was sent; the high
  // bits make them large and negative on the wire too.
  s.span_id = (next_span_id_++) | (chance(50) ? 0x8000000000000000u : 0);
  s.parent_span_id = chance(30) ? 0 : random_id();
  s.operation_name = store_.keep(random_string(80));
  s.flags = static_cast<int32_t>(below(4));
  s.start_time_us = chance(10) ? random_i64() : 1700000000000000 + static_cast<int64_t>(below(1u << 30));
  s.duration_us = chance(10) ? random_i64() : static_cast<int64_t>(below(5000000));

  std::vector<SpanRef> refs(below(limits_.max_references + 1));
  for (SpanRef& r : refs) {
    r.type = chance(50) ? detail::RefType::kChildOf : detail::RefType::kFollowsFrom;
    r.trace_id_low = random_id();
    r.trace_id_high = chance(50) ? 0 : random_id();
    r.span_id = random_id();
  }
  s.references = store_.keep(std::move(refs));

  // Mostly a few tags, sometimes many (past the 14 of a short list header, past 127).
  const size_t tag_count = chance(10) ? below(200) : below(limits_.max_tags + 1);
  std::vector<Tag> tags;
  for (size_t i = 0; i < tag_count; ++i) tags.push_back(random_tag());
  s.tags = store_.keep(std::move(tags));

  std::vector<Log> logs(below(limits_.max_logs + 1));
  for (Log& log : logs) {
    log.timestamp_us = chance(10) ? random_i64()
                                    : static_cast<int64_t>(static_cast<uint64_t>(s.start_time_us) + below(1000));
    std::vector<Tag> fields(below(limits_.max_log_fields + 1));
    for (Tag& f : fields) f = random_tag();
    log.fields = store_.keep(std::move(fields));
  }
  s.logs = store_.keep(std::move(logs));

  if (chance(10)) s.dropped_tags = static_cast<uint32_t>(below(1000) + 1);
  if (chance(10)) s.dropped_logs = static_cast<uint32_t>(below(10) + 1);
  if (chance(5)) s.dropped_references = std::numeric_limits<uint32_t>::max();
  return s;
}

Span SpanFactory::sized_span(size_t tag_count, size_t tag_value_size) {
  Span s;
  s.trace_id_low = rng_();
  s.trace_id_high = rng_();
  s.span_id = next_span_id_++;
  s.parent_span_id = rng_();
  s.operation_name = "sized";
  s.start_time_us = 1700000000000000;
  s.duration_us = 1234;
  std::vector<Tag> tags;
  for (size_t i = 0; i < tag_count; ++i) {
    tags.push_back(Tag::string(store_.keep("k" + std::to_string(i)),
                               store_.keep(std::string(tag_value_size, 'v'))));
  }
  s.tags = store_.keep(std::move(tags));
  return s;
}

}  // namespace litetrace::test
