#pragma once

// An OTLP/HTTP ExportTraceServiceRequest (opentelemetry-proto v1.9.0), protobuf or
// OTLP/JSON, as litetrace-dump shows it: what Jaeger would show. Each ResourceSpans becomes
// a Jaeger batch (its service.name the Process's service name, the other resource
// attributes the Process's tags) and each span a Jaeger span, by the same
// OpenTelemetry-to-Jaeger mapping litetrace's Jaeger exporter applies (span.kind,
// otel.status_code, error, otel.scope.*, events as logs, links as FOLLOWS_FROM references,
// the dropped counts), so the same spans print the same whichever way they came. What the
// Jaeger exporter cannot send shows as Jaeger's OTLP receiver shows it: the trace state as
// `w3c.tracestate`, array and key-value-list attributes as JSON text.
//
// A body that is not a valid request is an error. A span with invalid ids (trace id not 16
// bytes or all zero, span id not 8 bytes or all zero, a parent id neither empty nor 8
// bytes, the same for its links) is rejected alone and counted, as a collector answers it
// in partial_success; the others are kept.

#include <string>
#include <string_view>

#include "received_request.h"

namespace litetrace::tools {


// Decodes `body` into `out` (which it clears first). False with the reason, and where in
// the request, in *error.
bool decode_otlp_protobuf(std::string_view body, ReceivedRequest& out, std::string* error);
bool decode_otlp_json(std::string_view body, ReceivedRequest& out, std::string* error);

}  // namespace litetrace::tools
