#pragma once

// Field-by-field equality of Jaeger views, with gtest messages that say which field
// differs. Doubles compare by bit pattern, so -0.0, NaN and infinities round-trip exactly.

#include <gtest/gtest.h>

#include <cstring>

#include "jaeger/jaeger_model.h"

namespace litetrace::test {

inline uint64_t double_bits(double d) {
  uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

inline void expect_same_tag(const detail::Tag& a, const detail::Tag& b) {
  EXPECT_EQ(a.key, b.key);
  ASSERT_EQ(a.type, b.type) << "tag " << a.key;
  switch (a.type) {
    case detail::TagType::kString:
    case detail::TagType::kBinary: EXPECT_EQ(a.str, b.str) << "tag " << a.key; break;
    case detail::TagType::kDouble: EXPECT_EQ(double_bits(a.vdouble), double_bits(b.vdouble)); break;
    case detail::TagType::kBool: EXPECT_EQ(a.vbool, b.vbool); break;
    case detail::TagType::kLong: EXPECT_EQ(a.vlong, b.vlong); break;
  }
}

inline void expect_same_tags(detail::Slice<detail::Tag> a, detail::Slice<detail::Tag> b) {
  ASSERT_EQ(a.size, b.size);
  for (size_t i = 0; i < a.size; ++i) expect_same_tag(a[i], b[i]);
}

inline void expect_same_span(const detail::Span& a, const detail::Span& b) {
  EXPECT_EQ(a.trace_id_low, b.trace_id_low);
  EXPECT_EQ(a.trace_id_high, b.trace_id_high);
  EXPECT_EQ(a.span_id, b.span_id);
  EXPECT_EQ(a.parent_span_id, b.parent_span_id);
  EXPECT_EQ(a.operation_name, b.operation_name);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.start_time_us, b.start_time_us);
  EXPECT_EQ(a.duration_us, b.duration_us);
  EXPECT_EQ(a.dropped_tags, b.dropped_tags);
  EXPECT_EQ(a.dropped_logs, b.dropped_logs);
  EXPECT_EQ(a.dropped_references, b.dropped_references);
  ASSERT_EQ(a.references.size, b.references.size);
  for (size_t i = 0; i < a.references.size; ++i) {
    EXPECT_EQ(a.references[i].type, b.references[i].type);
    EXPECT_EQ(a.references[i].trace_id_low, b.references[i].trace_id_low);
    EXPECT_EQ(a.references[i].trace_id_high, b.references[i].trace_id_high);
    EXPECT_EQ(a.references[i].span_id, b.references[i].span_id);
  }
  expect_same_tags(a.tags, b.tags);
  ASSERT_EQ(a.logs.size, b.logs.size);
  for (size_t i = 0; i < a.logs.size; ++i) {
    EXPECT_EQ(a.logs[i].timestamp_us, b.logs[i].timestamp_us);
    expect_same_tags(a.logs[i].fields, b.logs[i].fields);
  }
}

}  // namespace litetrace::test
