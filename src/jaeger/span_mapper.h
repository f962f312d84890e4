#pragma once

// A span record (span_record.h) -> a Jaeger Span, following the OpenTelemetry -> Jaeger
// rules: attributes -> tags by type; kind -> span.kind; status -> otel.status_code,
// otel.status_description and a BOOL error=true on ERROR; events -> logs whose first field
// is event=<name>; links -> FOLLOWS_FROM references after the parent's CHILD_OF, and a link
// with attributes also -> a log at the span's start with event=link, trace_id, span_id
// and its attributes (the last published OpenTelemetry Jaeger mapping); arrays -> string
// tags holding the JSON list; the
// instrumentation scope -> otel.scope.* and otel.library.* tags; dropped counts ->
// otel.dropped_* tags (written by the encoder); times -> microseconds since the epoch.
//
// Thread: one thread only (the batcher). The returned span's views point into the record
// and into this mapper, valid until the next map().

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/compiler.h"
#include "core/record_reader.h"
#include "core/span_record.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_model.h"
#include "litetrace/sampler.h"
#include "litetrace/trace.h"

namespace litetrace::detail {

// The tags the mapping puts ahead of a span's attributes, in this order: span.kind and the
// status's (lead_tags), the scope's (scope_tags), the sampler's (sampler_tags). Each calls
// add(const Tag&) for each of its tags; the views point into static strings, the scope and
// `status_description`. Shared by SpanMapper and the record encoder (record_encoder.h).
template <typename Add>
void lead_tags(uint8_t kind, uint8_t status, std::string_view status_description, Add add);
template <typename Add>
void scope_tags(const TracerScope* scope, Add add);
template <typename Add>
void sampler_tags(uint8_t sampler_type, double sampler_param, Add add);

// Whether a span attribute with this key gives way to a tag of the mapping (above) or to a
// dropped count the encoder writes: one tag per key, the mapping's.
bool mapping_takes(std::string_view key, const uint8_t* record, bool has_status_description);
inline bool taken_by_mapping(std::string_view key, const uint8_t* record, bool has_status_description) {
  // Every key of the mapping begins with one of these letters.
  return !key.empty() && (key[0] == 'o' || key[0] == 's' || key[0] == 'e') &&
         mapping_takes(key, record, has_status_description);
}

// An attribute that is not an array as the Tag of its type, handed to f: inlined once per
// type, so that where f writes the tag its type is a constant (record_encoder.cc).
template <typename F>
LITETRACE_ALWAYS_INLINE void with_scalar_tag(const RecordAttribute& a, F f) {
  // Tested in the order values are common (a switch compiles to a tree of compares that
  // reaches a string or an int after four).
  if (a.type == ValueType::kString) return f(Tag::string(a.key, a.bytes));
  if (a.type == ValueType::kInt64) return f(Tag::int64(a.key, a.integer));
  switch (a.type) {
    case ValueType::kBytes: f(Tag::binary(a.key, a.bytes)); return;
    case ValueType::kBool: f(Tag::boolean(a.key, a.integer != 0)); return;
    case ValueType::kDouble: f(Tag::float64(a.key, a.number)); return;
    default: f(Tag::string(a.key, {})); return;  // arrays: their JSON (SpanMapper)
  }
}
inline Tag scalar_tag(const RecordAttribute& a) {
  Tag tag;
  with_scalar_tag(a, [&](const Tag& t) { tag = t; });
  return tag;
}

// Unix nanoseconds as Jaeger's microseconds, rounded down (towards the past). Divided
// unsigned: a time after 1970 has no rounding towards zero to correct, and one before it
// no negation to overflow (INT64_MIN).
inline int64_t to_us(int64_t ns) {
  if (ns >= 0) return static_cast<int64_t>(static_cast<uint64_t>(ns) / 1000);
  return -static_cast<int64_t>((uint64_t{0} - static_cast<uint64_t>(ns) + 999) / 1000);
}

// The span's start and duration in Jaeger's microseconds: the start rounded down, the
// duration up (never shorter than the span was open). Inline: once per span.
struct JaegerTimes {
  int64_t start_us = 0;
  int64_t duration_us = 0;
};
LITETRACE_ALWAYS_INLINE JaegerTimes jaeger_times(const SpanTimes& times) {
  // A duration is never negative (record_times()): divided unsigned, which also leaves no
  // room for the + 999 to overflow.
  return {to_us(times.start_unix_ns), static_cast<int64_t>((static_cast<uint64_t>(times.duration_ns) + 999) / 1000)};
}
LITETRACE_ALWAYS_INLINE JaegerTimes jaeger_times(const SpanRecordHeader& h, const TickConverter& clock) {
  return jaeger_times(record_times(h, clock));
}

class SpanMapper {
 public:
  explicit SpanMapper(const TickConverter* clock) : clock_(clock) {}
  const Span& map(const uint8_t* record);

 private:
  const TickConverter* clock_;
  Span span_;
  std::vector<Tag> tags_;
  std::vector<Tag> user_tags_;  // the span's attributes, before the mapping's tags go first
  std::vector<Log> logs_;
  std::vector<size_t> log_field_begin_;
  std::vector<Tag> log_fields_;
  std::vector<SpanRef> refs_;
  std::deque<std::string> texts_;  // what array tags and link logs point into (a deque: they stay put)
  std::vector<size_t> link_logs_;  // which logs are links', timed at the span's start
};

template <typename Add>
void lead_tags(uint8_t kind, uint8_t status, std::string_view status_description, Add add) {
  // Most spans are internal, their status unset: one test each says they have none.
  if (kind != static_cast<uint8_t>(SpanKind::kInternal)) {
    switch (static_cast<SpanKind>(kind)) {
      case SpanKind::kServer: add(Tag::string("span.kind", "server")); break;
      case SpanKind::kClient: add(Tag::string("span.kind", "client")); break;
      case SpanKind::kProducer: add(Tag::string("span.kind", "producer")); break;
      case SpanKind::kConsumer: add(Tag::string("span.kind", "consumer")); break;
      case SpanKind::kInternal: break;
    }
  }
  if (status == static_cast<uint8_t>(StatusCode::kUnset)) return;
  if (status == static_cast<uint8_t>(StatusCode::kOk)) {
    add(Tag::string("otel.status_code", "OK"));
  } else if (status == static_cast<uint8_t>(StatusCode::kError)) {
    add(Tag::string("otel.status_code", "ERROR"));
    if (!status_description.empty()) add(Tag::string("otel.status_description", status_description));
    add(Tag::boolean("error", true));  // Jaeger ignores a string "true"
  }
}

template <typename Add>
void scope_tags(const TracerScope* scope, Add add) {
  if (scope == nullptr || scope->name.empty()) return;
  add(Tag::string("otel.scope.name", scope->name));
  add(Tag::string("otel.library.name", scope->name));
  if (!scope->version.empty()) {
    add(Tag::string("otel.scope.version", scope->version));
    add(Tag::string("otel.library.version", scope->version));
  }
}

template <typename Add>
void sampler_tags(uint8_t sampler_type, double sampler_param, Add add) {
  switch (static_cast<SamplerType>(sampler_type)) {
    case SamplerType::kNone: break;
    case SamplerType::kConst:
      add(Tag::string("sampler.type", "const"));
      add(Tag::boolean("sampler.param", sampler_param != 0));
      break;
    default:
      add(Tag::string("sampler.type", to_string(static_cast<SamplerType>(sampler_type))));
      add(Tag::float64("sampler.param", sampler_param));
      break;
  }
}

}  // namespace litetrace::detail
