#pragma once

// The Jaeger Thrift structs (jaeger-idl thrift/jaeger.thrift) as non-owning views: the
// encoder reads them, the batcher builds them over its own memory, the decoder builds them
// over a received datagram. Field comments give the IDL id.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/slice.h"

namespace litetrace::detail {

enum class TagType : int32_t { kString = 0, kDouble = 1, kBool = 2, kLong = 3, kBinary = 4 };

struct Tag {
  std::string_view key;             // 1
  TagType type = TagType::kString;  // 2 vType
  std::string_view str;             // 3 vStr (kString) or 7 vBinary (kBinary)
  double vdouble = 0;               // 4
  bool vbool = false;               // 5
  int64_t vlong = 0;                // 6

  static Tag string(std::string_view k, std::string_view v) { return {k, TagType::kString, v, 0, false, 0}; }
  static Tag binary(std::string_view k, std::string_view v) { return {k, TagType::kBinary, v, 0, false, 0}; }
  static Tag float64(std::string_view k, double v) { return {k, TagType::kDouble, {}, v, false, 0}; }
  static Tag boolean(std::string_view k, bool v) { return {k, TagType::kBool, {}, 0, v, 0}; }
  static Tag int64(std::string_view k, int64_t v) { return {k, TagType::kLong, {}, 0, false, v}; }
};

struct Log {
  int64_t timestamp_us = 0;  // 1
  Slice<Tag> fields;         // 2
};

enum class RefType : int32_t { kChildOf = 0, kFollowsFrom = 1 };

struct SpanRef {
  RefType type = RefType::kChildOf;  // 1
  uint64_t trace_id_low = 0;         // 2
  uint64_t trace_id_high = 0;        // 3
  uint64_t span_id = 0;              // 4
};

enum SpanFlags : int32_t { kFlagSampled = 1, kFlagDebug = 2 };

struct Span {
  uint64_t trace_id_low = 0;       // 1
  uint64_t trace_id_high = 0;      // 2
  uint64_t span_id = 0;            // 3
  uint64_t parent_span_id = 0;     // 4 (0 = root)
  std::string_view operation_name; // 5
  Slice<SpanRef> references;       // 6
  int32_t flags = kFlagSampled;    // 7
  int64_t start_time_us = 0;       // 8
  int64_t duration_us = 0;         // 9
  Slice<Tag> tags;                 // 10
  Slice<Log> logs;                 // 11

  // What was dropped from this span before it reached the wire (limits on the application
  // side, trimming to fit a packet). Encoded as the OpenTelemetry convention tags
  // otel.dropped_attributes_count / otel.dropped_events_count / otel.dropped_links_count
  // after `tags`, only when non-zero.
  uint32_t dropped_tags = 0;
  uint32_t dropped_logs = 0;
  uint32_t dropped_references = 0;
};

struct Process {
  std::string_view service_name;  // 1
  Slice<Tag> tags;                // 2
};

// Cumulative counts since the exporter started, as every Jaeger client reports them.
struct ClientStats {
  int64_t full_queue_dropped_spans = 0;  // 1
  int64_t too_large_dropped_spans = 0;   // 2
  int64_t failed_to_emit_spans = 0;      // 3
};

}  // namespace litetrace::detail
