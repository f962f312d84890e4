#pragma once

// Zipkin's v2 API as an HttpRequestFormat (transport/http_export_sink.h): span records ->
// a JSON array of v2 spans, the body of POST /api/v2/spans with Content-Type
// application/json. Zipkin (and Jaeger's port 9411) answers 202 Accepted; any 2xx is
// success, connection failures, 429 and every 5xx are worth another attempt, and any
// other status is permanent, reported with the body's text.
//
// The mapping is the OpenTelemetry Zipkin exporter specification's
// (specification/trace/sdk_exporters/zipkin.md, with common/mapping-to-non-otlp.md):
// - traceId as 32 lowercase hex digits (16 when its high half is zero, as Zipkin writes a
//   64-bit trace id), id and parentId as 16;
// - kind CLIENT, SERVER, PRODUCER or CONSUMER; none for an internal span;
// - timestamp and duration in whole microseconds: the start and the end are truncated,
//   the duration is their difference and at least 1;
// - localEndpoint.serviceName is the service name; for a client or producer span,
//   remoteEndpoint comes from the first peer attribute by the specification's rank:
//   peer.service, server.address, net.peer.name (as serviceName), network.peer.address
//   (an IP, with network.peer.port), server.socket.domain, server.socket.address (an IP,
//   with server.socket.port), net.sock.peer.name, net.sock.peer.addr (an IP, with
//   net.sock.peer.port), peer.hostname, peer.address, db.name;
// - tags are strings: the attributes (booleans "true"/"false", integers in decimal,
//   doubles in their shortest exact form with ".0" when whole, bytes in base64, arrays as
//   a JSON list);
//   otel.status_code OK or ERROR, and on ERROR `error` set to the description ("" when
//   there is none); an attribute `error` of false ("false") on a span that is not an
//   error is left out, as Zipkin takes any `error` tag for a failure; otel.scope.name,
//   otel.scope.version and their otel.library.* aliases; otel.dropped_attributes_count,
//   otel.dropped_events_count and otel.dropped_links_count when not zero; then the
//   application's resource attributes (service.name aside), which Zipkin has no other
//   place for. One tag per key: the mapping's tags win over attributes, attributes over
//   resource attributes;
// - events are annotations whose value is the event's name and its attributes as one
//   JSON member, `"name":{"key":value,...}` (an event's dropped count as
//   otel.dropped_attributes_count among them), at the event's time in microseconds;
// - links and the trace state have no place in Zipkin's model (the specification leaves
//   them to be defined) and are not sent; absent fields are left out.
// Text that is not valid UTF-8 has each bad byte replaced by U+FFFD.
//
// A request's body stays within max_request_bytes: a span that would take it over goes to
// the next request, and a span that no request could hold is too large (dropped and
// counted).
//
// Thread: as HttpRequestFormat.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_buffer.h"
#include "core/record_reader.h"
#include "core/tick_clock.h"
#include "transport/http_export_sink.h"

namespace litetrace::detail::zipkin {

struct FormatOptions {
  std::string service_name;
  std::vector<std::pair<std::string, std::string>> resource_attributes;  // tags on every span
  size_t max_request_bytes = 4 << 20;
};

class ZipkinFormat final : public HttpRequestFormat {
 public:
  // `clock` must outlive the format.
  ZipkinFormat(FormatOptions options, const TickConverter* clock);

  Added add(const uint8_t* record) override;
  size_t spans() const override { return spans_; }
  bool build(ByteBuffer& body) override;
  void clear() override {
    json_.clear();
    spans_ = 0;
  }

  std::string_view content_type() const override { return "application/json"; }
  bool retryable(int status) const override { return status == 429 || status >= 500; }
  uint64_t rejected(const HttpResponse&, std::string*) const override { return 0; }
  std::string server_message(const HttpResponse& response) const override { return body_text(response); }


 private:
  struct Event {
    RecordItem item;
    size_t first_attribute = 0;  // in event_attributes_
    size_t attributes = 0;
  };
  // The span read from its record (attributes_ and events_ hold the rest): what the
  // writers below take.
  struct Read {
    const SpanRecordHeader* header = nullptr;
    std::string_view name;
    std::string_view status_description;
  };
  void read(const uint8_t* record, Read& span);
  // Each writes at `p`, within the bound add() computed, and returns its end.
  char* write_span(char* p, const Read& span);
  char* write_remote_endpoint(char* p);
  char* write_annotations(char* p);
  char* write_tags(char* p, const Read& span);
  const std::string& scope_tags(const TracerScope* scope);

  FormatOptions options_;
  const TickConverter* clock_;
  std::string local_endpoint_;  // ,"localEndpoint":{...}
  size_t resource_bound_ = 0;   // the most bytes the resource attributes' tags take
  // The tags of the last span's scope (interned, never freed: span_record.h), written once
  // for every span of that scope.
  const TracerScope* scope_ = nullptr;
  std::string scope_tags_;
  HandedBuffer json_;           // the body: "[" and the spans, separated by commas
  size_t spans_ = 0;
  // One span while it is written.
  std::vector<RecordAttribute> attributes_;
  std::vector<RecordAttribute> event_attributes_;
  std::vector<Event> events_;
  std::string inner_;    // an annotation's value before it is quoted
  std::string scratch_;  // an array tag's JSON list before it is quoted
};

}  // namespace litetrace::detail::zipkin
