#include "pipeline/exporters.h"

#include "core/compiler.h"
#include "core/text.h"
#include "jaeger/console_sink.h"
#include "jaeger/jaeger_http_format.h"
#include "jaeger/jaeger_sink.h"
#include "otlp/otlp_format.h"
#include "transport/http_export_sink.h"
#include "zipkin/zipkin_format.h"

namespace litetrace::detail {
namespace {

// HTTP basic authentication (RFC 7617): "Basic " and base64 of user:password.
LITETRACE_COLD std::string basic_authorization(const std::string& user, const std::string& password) {
  std::string out = "Basic ";
  append_base64(out, user + ":" + password);
  return out;
}

// An HTTP exporter's sender: to `endpoint` (checked by the provider), one export within
// `timeout`, max_export_batch_size spans a request.
LITETRACE_COLD HttpExportOptions http_export_options(const TracerProviderOptions& options, const std::string& endpoint,
                                                     std::chrono::milliseconds timeout, const char* thread_name) {
  HttpExportOptions o;
  std::string unused;
  parse_http_url(endpoint, o.url, &unused);
  o.endpoint = endpoint;
  o.timeout = timeout;
  o.max_batch_spans = options.max_export_batch_size;
  o.thread_name = thread_name;
  return o;
}

// An exporter's URL: http:// and well-formed, else the default (TLS is not built in).
LITETRACE_COLD void check_http_endpoint(const char* name, std::string& endpoint, const std::string& fallback,
                                        std::vector<std::string>& e) {
  HttpUrl url;
  std::string why;
  if (endpoint.rfind("https://", 0) == 0) {
    e.push_back(std::string(name) + " \"" + endpoint +
                "\": TLS is not built into litetrace; send to a collector or agent over http:// (on this host: " +
                fallback + "); using " + fallback);
    endpoint = fallback;
  } else if (!parse_http_url(endpoint, url, &why)) {
    e.push_back(std::string(name) + " \"" + endpoint + "\": " + why + "; using " + fallback);
    endpoint = fallback;
  }
}

LITETRACE_COLD void check_endpoints(TracerProviderOptions& o, std::vector<std::string>& e) {
  const TracerProviderOptions d;
  check_http_endpoint("otlp_endpoint", o.otlp_endpoint, d.otlp_endpoint, e);
  check_http_endpoint("jaeger_endpoint", o.jaeger_endpoint, d.jaeger_endpoint, e);
  check_http_endpoint("zipkin_endpoint", o.zipkin_endpoint, d.zipkin_endpoint, e);
}

// Every sink but Jaeger over UDP and "none" (batcher.cc).
LITETRACE_COLD std::unique_ptr<SpanSink> make_other_sink(const TracerProviderOptions& options,
                                                         const TickConverter* clock) {
  switch (options.exporter) {
    case TracesExporter::kNone: break;
    case TracesExporter::kConsole:
      return std::make_unique<ConsoleSink>(ProcessView(options).process, clock, stderr);
    case TracesExporter::kOtlp: {
      HttpExportOptions o =
          http_export_options(options, options.otlp_endpoint, options.otlp_timeout, "litetrace-otlp");
      o.headers = options.otlp_headers;
      otlp::FormatOptions f;
      f.json = options.otlp_protocol == OtlpProtocol::kHttpJson;
      f.service_name = options.service_name;
      f.resource_attributes = options.resource_attributes;
      return std::make_unique<HttpExportSink>(std::move(o), std::make_unique<otlp::OtlpFormat>(f, clock),
                                              options.on_diagnostic);
    }
    case TracesExporter::kZipkin: {
      HttpExportOptions o =
          http_export_options(options, options.zipkin_endpoint, options.zipkin_timeout, "litetrace-zipkin");
      zipkin::FormatOptions f;
      f.service_name = options.service_name;
      f.resource_attributes = options.resource_attributes;
      f.max_request_bytes = options.zipkin_max_request_bytes;
      return std::make_unique<HttpExportSink>(std::move(o), std::make_unique<zipkin::ZipkinFormat>(std::move(f), clock),
                                              options.on_diagnostic);
    }
    case TracesExporter::kJaeger:
      if (options.jaeger_protocol == JaegerProtocol::kHttpThriftBinary) {
        HttpExportOptions o =
            http_export_options(options, options.jaeger_endpoint, options.jaeger_timeout, "litetrace-jhttp");
        if (!options.jaeger_user.empty()) {
          o.headers.emplace_back("Authorization",
                                 basic_authorization(options.jaeger_user, options.jaeger_password));
        }
        const ProcessView process(options);
        return std::make_unique<HttpExportSink>(
            std::move(o), std::make_unique<JaegerHttpFormat>(process.process, clock, options.jaeger_max_request_bytes),
            options.on_diagnostic);
      }
      break;
  }
  return nullptr;  // Jaeger over UDP and "none": batcher.cc
}

}  // namespace
}  // namespace litetrace::detail

const litetrace::detail::LinkedExporters litetrace_exporters = {
    &litetrace::detail::make_other_sink, &litetrace::detail::check_endpoints, &litetrace::detail::kBinaryThrift,
    &litetrace::detail::make_jaeger_binary_sink};
