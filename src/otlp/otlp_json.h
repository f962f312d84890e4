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

// One span as a JSON object, appended to `out` (the caller separates spans with commas).
void append_span_json(std::string& out, const Span& span);

// The whole request around spans already written by append_span_json(), appended to `out`.
void append_request_json(std::string& out, Slice<KeyValue> resource, Slice<EncodedScope> scopes);
// The same appended to `body`, the spans copied once, straight from `scopes` (`scratch` holds
// the request's own tokens in between); false if `body` could not take them.
bool append_request_json(ByteBuffer& body, std::string& scratch, Slice<KeyValue> resource,
                         Slice<EncodedScope> scopes);

// The whole request from the model at once, by the same functions (tests, tools).
void encode_request_json(const ResourceSpans& resource_spans, std::string& out);

}  // namespace litetrace::detail::otlp
