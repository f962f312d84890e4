#pragma once

// The OTLP trace messages (opentelemetry-proto v1.9.0, trace/v1/trace.proto, common/v1,
// resource/v1 and collector/trace/v1) as non-owning views, for the OTLP encoders. Field
// comments give the proto field number.

#include <cstdint>
#include <string_view>

#include "core/slice.h"

namespace litetrace::detail::otlp {

// AnyValue's oneof, for the value types litetrace records.
enum class ValueType : uint8_t { kString, kBool, kInt, kDouble, kBytes, kArray };

struct AnyValue {
  ValueType type = ValueType::kString;
  std::string_view bytes;  // 1 string_value, 7 bytes_value
  bool boolean = false;    // 2 bool_value
  int64_t integer = 0;     // 3 int_value
  double number = 0;       // 4 double_value
  Slice<AnyValue> values;  // 5 array_value: ArrayValue.values (1)

  static AnyValue string(std::string_view v) { return {ValueType::kString, v, false, 0, 0, {}}; }
  static AnyValue binary(std::string_view v) { return {ValueType::kBytes, v, false, 0, 0, {}}; }
  static AnyValue of(bool v) { return {ValueType::kBool, {}, v, 0, 0, {}}; }
  static AnyValue of(int64_t v) { return {ValueType::kInt, {}, false, v, 0, {}}; }
  static AnyValue of(double v) { return {ValueType::kDouble, {}, false, 0, v, {}}; }
  static AnyValue array(Slice<AnyValue> v) { return {ValueType::kArray, {}, false, 0, 0, v}; }
};

struct KeyValue {
  std::string_view key;  // 1
  AnyValue value;        // 2
};

// Trace and span ids as numbers; they go on the wire big-endian, 16 and 8 bytes, as the
// W3C hex form reads them.
struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;
};

// Span.flags and Link.flags: the W3C trace flags, and whether the context (the parent's,
// or the link's) is known to be remote.
constexpr uint32_t kFlagsTraceFlagsMask = 0x000000FF;
constexpr uint32_t kFlagsContextHasIsRemote = 0x00000100;
constexpr uint32_t kFlagsContextIsRemote = 0x00000200;

// Span.flags or Link.flags of a context: only the W3C sampled bit (litetrace's debug bit,
// kTraceFlagDebug, is not a W3C flag), and whether it is remote, which litetrace always
// knows.
inline uint32_t context_flags(uint8_t trace_flags, bool remote) {
  return (trace_flags & 0x01u) | kFlagsContextHasIsRemote | (remote ? kFlagsContextIsRemote : 0u);
}

// A time in Unix ns as OTLP's fixed64 takes it: one before 1970 becomes 0 (left out).
inline uint64_t unix_ns_or_zero(int64_t ns) { return ns > 0 ? static_cast<uint64_t>(ns) : 0; }

enum class SpanKind : uint8_t { kUnspecified = 0, kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

struct Event {
  uint64_t time_unix_nano = 0;         // 1 fixed64
  std::string_view name;               // 2
  Slice<KeyValue> attributes;          // 3
  uint32_t dropped_attributes_count = 0;  // 4
};

struct Link {
  TraceId trace_id;                       // 1
  uint64_t span_id = 0;                   // 2
  std::string_view trace_state;           // 3
  Slice<KeyValue> attributes;             // 4
  uint32_t dropped_attributes_count = 0;  // 5
  uint32_t flags = 0;                     // 6 fixed32
};

struct Span {
  TraceId trace_id;                       // 1
  uint64_t span_id = 0;                   // 2
  std::string_view trace_state;           // 3
  uint64_t parent_span_id = 0;            // 4 (0: a root span, and the field is left out)
  uint32_t flags = 0;                     // 16 fixed32
  std::string_view name;                  // 5
  SpanKind kind = SpanKind::kInternal;    // 6
  uint64_t start_time_unix_nano = 0;      // 7 fixed64
  uint64_t end_time_unix_nano = 0;        // 8 fixed64
  Slice<KeyValue> attributes;             // 9
  uint32_t dropped_attributes_count = 0;  // 10
  Slice<Event> events;                    // 11
  uint32_t dropped_events_count = 0;      // 12
  Slice<Link> links;                      // 13
  uint32_t dropped_links_count = 0;       // 14
  StatusCode status_code = StatusCode::kUnset;  // 15 Status.code (3)
  std::string_view status_message;              // 15 Status.message (2)
};

struct InstrumentationScope {
  std::string_view name;     // 1
  std::string_view version;  // 2
};

struct ScopeSpans {
  InstrumentationScope scope;  // 1
  Slice<Span> spans;           // 2
};

// The spans of one instrumentation scope, already encoded (otlp_encoder.h: protobuf
// ScopeSpans.spans fields back to back; otlp_json.h: span objects separated by commas).
struct EncodedScope {
  InstrumentationScope scope;
  std::string_view spans;
};

// One ResourceSpans: a request from litetrace has one resource, the provider's.
struct ResourceSpans {
  Slice<KeyValue> resource_attributes;  // 1 Resource.attributes (1)
  Slice<ScopeSpans> scope_spans;        // 2
};

}  // namespace litetrace::detail::otlp
