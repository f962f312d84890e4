#pragma once

// OTLP model -> OTLP/JSON: an ExportTraceServiceRequest as the body of POST /v1/traces
// with Content-Type application/json.
//
// The protobuf JSON mapping with OTLP's own rules (opentelemetry-proto, "JSON Protobuf
// Encoding"): field names in lowerCamelCase; trace and span ids as lowercase hex, not
// base64; enums as integers; 64-bit integers (int64, fixed64) as decimal strings; bytes
// values base64; doubles as numbers, NaN and infinities as "NaN", "Infinity" and
// "-Infinity". Fields at their default are left out, as in the protobuf encoding.
//
// Strings are written as given, escaped for JSON; the mapping that builds the model is
// where text becomes valid UTF-8.

#include <string>

#include "core/byte_buffer.h"
#include "otlp/otlp_model.h"

namespace litetrace::detail::otlp {

// One span as a JSON object, appended to `out` (the caller separates spans with commas);
// false if `out` could not grow (what was written of the span is then in it, cut short).
bool append_span_json(ByteBuffer& out, const Span& span);

// The whole request around spans already written by append_span_json(), appended to `body`
// (the spans copied once, straight from `scopes`); false if `body` could not grow.
bool append_request_json(ByteBuffer& body, Slice<KeyValue> resource, Slice<EncodedScope> scopes);

// The whole request from the model at once, by the same functions (tests, tools).
void encode_request_json(const ResourceSpans& resource_spans, std::string& out);

}  // namespace litetrace::detail::otlp
