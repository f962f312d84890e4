#pragma once

// Span records -> one OTLP request, a span at a time. The batcher hands records over one
// by one and gives their ring space back right after, so add() maps each record to the
// OTLP model (otlp_model.h) and encodes it at once, protobuf or JSON, into the bytes of its
// instrumentation scope (a plain record, the common kind, goes to protobuf straight from its
// items, with the same bytes: append_plain_span_field() in otlp_encoder.h); build() writes
// the request around them: one ScopeSpans per scope, in the order the scopes first
// appeared, spans in the order they ended. The mapping:
// - ids, parent span id, the parent's tracestate, start and end in Unix ns, kind, status;
// - attributes (arrays as ArrayValue), events and links with their attributes and dropped
//   counts, the three dropped counts, all as recorded (OTLP carries every value type as it
//   is);
// - flags: the W3C sampled bit, and whether the parent (and each link) is remote
//   (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK is always set: litetrace always knows);
// - text that is not valid UTF-8 (protobuf requires it of string fields, and a collector
//   refuses a whole request for one bad byte) has each bad byte replaced by U+FFFD.
//
// Thread: one thread only (the batcher).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/record_reader.h"
#include "core/tick_clock.h"
#include "otlp/otlp_encoder.h"
#include "otlp/otlp_model.h"

namespace litetrace::detail::otlp {

class RequestBuilder {
 public:
  // `direct`: protobuf spans of plain records (no arrays; text that is valid UTF-8) are
  // written straight from the record, with no model; false for tests, which compare the
  // two ways.
  RequestBuilder(const TickConverter* clock, bool json, bool direct = true)
      : clock_(clock), json_(json), direct_(direct) {}

  // Maps and encodes the span; false if it could not be encoded (then it is not in the
  // request: the caller counts it as failed). The record keeps the attribute rules
  // (RecordNormalizer made it so).
  bool add(const uint8_t* record);
  // A record as the ring holds it, which may break the rules: written straight when it is
  // plain and keeps `rules` (append_plain_span_field); kNotPlain otherwise, and always for
  // JSON (then the caller normalizes it and calls add()).
  PlainSpan add_plain(const uint8_t* record, const AttributeLimits& rules);
  size_t spans() const { return spans_; }

  // The request over every span added since clear(), with `resource` as its Resource,
  // appended to `body`; false if it could not be encoded.
  bool build(Slice<KeyValue> resource, ByteBuffer& body);
  void clear();

 private:
  struct Scope {
    const TracerScope* scope = nullptr;
    ByteBuffer protobuf;  // the spans, encoded back to back
    ByteBuffer json;      // or as JSON objects separated by commas
  };
  std::string_view text(std::string_view s);
  Scope& scope_of(const TracerScope* scope);
  void map(const uint8_t* record, Span& out);
  void map_header(const RecordHeaderView& h, Span& out) const;

  const TickConverter* clock_;
  const bool json_;
  const bool direct_;
  size_t spans_ = 0;
  std::vector<Scope> scopes_;  // [0, used_scopes_) are this request's; the rest keep their capacity
  size_t used_scopes_ = 0;
  // One span's model while it is encoded.
  std::vector<KeyValue> attributes_;
  std::vector<KeyValue> event_attributes_;
  std::vector<size_t> event_attribute_begin_;
  std::vector<Event> events_;
  std::vector<Link> links_;
  std::vector<KeyValue> link_attributes_;
  std::vector<size_t> link_attribute_begin_;
  std::vector<AnyValue> array_values_;  // the elements of the span's array values
  std::deque<std::string> repaired_;  // text made valid UTF-8
  std::vector<EncodedScope> encoded_;
};

}  // namespace litetrace::detail::otlp
