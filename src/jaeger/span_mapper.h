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
#include <vector>

#include "core/span_record.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_model.h"

namespace litetrace::detail {

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

}  // namespace litetrace::detail
