#pragma once

// OTLP/HTTP as an HttpRequestFormat (transport/http_export_sink.h): span records ->
// ExportTraceServiceRequest bodies, protobuf or JSON (otlp_mapper.h), under one Resource
// (service.name, the application's resource attributes, telemetry.sdk.*); and what an
// OTLP server's answers mean:
// - 429, 502, 503 and 504 are worth another attempt (OTLP/HTTP's retryable statuses);
// - a 2xx ExportTraceServiceResponse may carry partial_success {rejected_spans,
//   error_message};
// - an error's body is a google.rpc.Status, whose message is what the server said.
//
// Thread: as HttpRequestFormat.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tick_clock.h"
#include "otlp/otlp_mapper.h"
#include "transport/http_export_sink.h"

namespace litetrace::detail::otlp {

struct FormatOptions {
  bool json = false;  // http/json, else http/protobuf
  // The Resource: service.name, then these.
  std::string service_name;
  std::vector<std::pair<std::string, std::string>> resource_attributes;
};

class OtlpFormat final : public HttpRequestFormat {
 public:
  // `clock` must outlive the format.
  OtlpFormat(const FormatOptions& options, const TickConverter* clock);

  Added add(const uint8_t* record) override {
    return builder_.add(record) ? Added::kAdded : Added::kFailed;
  }
  // Protobuf only (checks_rules_): a plain record that keeps the rules is written straight.
  Added add_ring_record(const uint8_t* record, RecordNormalizer& rules) override {
    switch (builder_.add_plain(record, rules.limits())) {
      case PlainSpan::kWritten: return Added::kAdded;
      case PlainSpan::kFailed: return Added::kFailed;
      case PlainSpan::kNotPlain: break;
    }
    return add(rules.normalize(record));
  }
  size_t spans() const override { return builder_.spans(); }
  bool build(ByteBuffer& body) override { return builder_.build({resource_.data(), resource_.size()}, body); }
  void clear() override { builder_.clear(); }

  std::string_view content_type() const override { return json_ ? "application/json" : "application/x-protobuf"; }
  bool retryable(int status) const override {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }
  uint64_t rejected(const HttpResponse& response, std::string* message) const override;
  std::string server_message(const HttpResponse& response) const override;

 private:
  const bool json_;
  RequestBuilder builder_;
  std::vector<std::string> resource_strings_;  // what resource_ points into
  std::vector<KeyValue> resource_;
};

}  // namespace litetrace::detail::otlp
