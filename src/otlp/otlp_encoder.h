#pragma once

// OTLP model -> protobuf: an ExportTraceServiceRequest (collector/trace/v1) with one
// ResourceSpans, as the body of POST /v1/traces (Content-Type application/x-protobuf).
//
// Every nested message is written as tag, length, body; the lengths come from the
// *_size() functions here, computed from the same fields the writers then write (the
// ProtoWriter checks each body against its announced length). Fields at their proto3
// default (0, empty) are left out, as every protobuf encoder leaves them; the members of
// AnyValue's oneof are always written, since which one is set is itself the information.
//
//   message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }

#include <cstddef>
#include <string>
#include <string_view>

#include "core/byte_buffer.h"
#include "core/record_normalizer.h"
#include "core/tick_clock.h"
#include "otlp/otlp_model.h"
#include "otlp/proto_writer.h"

namespace litetrace::detail::otlp {

// Body sizes: the bytes inside a message's length prefix.
size_t body_size(const AnyValue& value);
size_t body_size(const KeyValue& kv);
size_t body_size(const Event& event);
size_t body_size(const Link& link);
size_t body_size(const Span& span);

// A message's fields, without its own tag and length (the bytes body_size() counts).
void encode_body(ProtoWriter& w, const KeyValue& kv);
void encode_body(ProtoWriter& w, const Span& span);

// A request is built a span at a time (otlp_mapper.h): each span is encoded once, as it
// comes, into the bytes of its scope; the request is then written around those bytes.

// One span as an element of ScopeSpans.spans (tag, length, body), appended to `out`.
// False, with `out` unchanged, if the writer found a length it did not expect (a bug).
bool append_span_field(ByteBuffer& out, const Span& span);

// A plain span record (span_record.h: no arrays, and every text valid UTF-8) as one
// ScopeSpans.spans field appended to `out`, straight from the record: the bytes map()
// (otlp_mapper.h) and append_span_field() make of it. `span` comes with the header's
// fields mapped (no attributes, events or links); its name, tracestate and status message
// are taken from the record, its events' times converted by `clock`. Its span attributes
// must keep `rules` as they stand (AttributeCheck: a record the normalizer would change is
// not plain; kRulesApplied for one it made). kNotPlain: `out` unchanged, for the mapper to
// take; kFailed: no memory (or a length written otherwise than sized: a bug), `out`
// unchanged.
enum class PlainSpan { kWritten, kNotPlain, kFailed };
PlainSpan append_plain_span_field(ByteBuffer& out, const uint8_t* record, Span& span, const TickConverter& clock,
                                  const AttributeLimits& rules);

// The whole request around encoded spans, appended to `out`; false (with `out` unchanged)
// as for append_span_field().
bool append_request(ByteBuffer& out, Slice<KeyValue> resource, Slice<EncodedScope> scopes);

// The whole request from the model at once, by the same functions (tests, tools).
size_t request_size(const ResourceSpans& resource_spans);
std::string encode_request(const ResourceSpans& resource_spans);

}  // namespace litetrace::detail::otlp
