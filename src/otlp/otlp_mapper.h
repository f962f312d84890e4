#pragma once

// Span records -> one OTLP request. The batcher hands records over one by one and gives
// their ring space back right after, so add() copies each record; build() turns the copies
// into the OTLP model (otlp_model.h), one ScopeSpans per instrumentation scope in the order
// the scopes first appeared, spans in the order they ended:
// - ids, parent span id, the parent's tracestate, start and end in Unix ns, kind, status;
// - attributes, events with their attributes and dropped counts, links, the three dropped
//   counts, all as recorded (OTLP carries every value type as it is);
// - flags: the W3C sampled bit, and whether the parent (and each link) is remote
//   (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK is always set: litetrace always knows);
// - text that is not valid UTF-8 (protobuf requires it of string fields, and a collector
//   refuses a whole request for one bad byte) has each bad byte replaced by U+FFFD.
//
// Thread: one thread only (the batcher). Views from build() are valid until the next
// add(), build() or clear().

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/record_reader.h"
#include "core/tick_clock.h"
#include "otlp/otlp_model.h"

namespace litetrace::detail::otlp {

class RequestBuilder {
 public:
  explicit RequestBuilder(const TickConverter* clock) : clock_(clock) {}

  void add(const uint8_t* record);
  size_t spans() const { return offsets_.size(); }
  // Bytes of records held: a measure of the request's size before it is encoded.
  size_t record_bytes() const { return records_.size(); }

  // The request over every record added since clear(), with `resource` as its Resource.
  ResourceSpans build(Slice<KeyValue> resource);
  void clear();

 private:
  std::string_view text(std::string_view s);
  void clear_built();  // what build() made, not the records
  void map(const uint8_t* record, Span& out);

  const TickConverter* clock_;
  std::vector<uint8_t> records_;  // copies, back to back
  std::vector<size_t> offsets_;
  // What build() makes; reserved before it is filled, so views into it stay put.
  std::vector<Span> spans_;
  std::vector<KeyValue> attributes_;
  std::vector<Event> events_;
  std::vector<Link> links_;
  std::vector<ScopeSpans> scopes_;
  std::deque<std::string> repaired_;  // text made valid UTF-8
};

}  // namespace litetrace::detail::otlp
