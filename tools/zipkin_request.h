#pragma once

// A Zipkin v2 request (POST /api/v2/spans, a JSON array of spans; zipkin-api's
// zipkin2-api.yaml) as litetrace-dump shows it: what Jaeger would show. Spans are grouped
// into one Jaeger batch per localEndpoint.serviceName, in the order services first appear,
// and each becomes a Jaeger span as Jaeger's Zipkin receiver makes it:
// - kind -> span.kind (lowercase; a tag of that key gives way); tags stay string tags,
//   except those the OpenTelemetry Zipkin mapping wrote for what Jaeger has a place for:
//   `error` (with otel.status_code ERROR) becomes otel.status_description (when not
//   empty) and a BOOL error=true, and the otel.dropped_*_count tags become the span's
//   dropped counts;
// - remoteEndpoint -> the tags peer.service, peer.ipv4, peer.ipv6 and peer.port;
// - annotations -> logs: a value of the form `"name":{...}` (the OpenTelemetry mapping of
//   an event) gives event=name and the object's members as typed fields; any other value
//   is the log's event field as it is;
// - timestamp and duration are microseconds already.
// So the same spans print the same whichever way they came, except what Zipkin cannot
// carry (links, the trace state, typed attribute values, Process tags).
//
// A body that is not a JSON array of v2 spans is an error: traceId (16 or 32 hex digits),
// id (16) and parentId (16) checked, kind one of Zipkin's four, times non-negative
// integers, endpoints, annotations and tags of the right types (tag values are strings).
// Members Zipkin does not know are ignored, as Zipkin ignores them.

#include <string>
#include <string_view>

#include "received_request.h"

namespace litetrace::tools {

// Decodes `body` into `out` (which it clears first). False with the reason, and where in
// the request, in *error.
bool decode_zipkin_json(std::string_view body, ReceivedRequest& out, std::string* error);

}  // namespace litetrace::tools
