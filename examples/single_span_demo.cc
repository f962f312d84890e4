// The classic single-span walk-through, in C++: service "demo-app", one span
// "demo-operation" that lasts a second, and a shutdown that flushes it to Jaeger.
//
// Configured by the OpenTelemetry environment variables (OTEL_SERVICE_NAME,
// OTEL_EXPORTER_JAEGER_AGENT_HOST, OTEL_EXPORTER_JAEGER_AGENT_PORT, OTEL_TRACES_SAMPLER,
// OTEL_TRACES_EXPORTER=otlp with OTEL_EXPORTER_OTLP_ENDPOINT, ...; see
// litetrace/environment.h). Watch it arrive in Jaeger
// (docker run --rm -p 16686:16686 -p 6831:6831/udp jaegertracing/all-in-one:latest)
// or in a second terminal with ./build/tools/litetrace-dump.

#include <litetrace/environment.h>
#include <litetrace/trace.h>
#include <litetrace/version.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

int main() {
  litetrace::TracerProviderOptions options = litetrace::options_from_environment();
  // The walk-through's service name, unless the environment names one.
  if (options.service_name == litetrace::TracerProviderOptions().service_name) options.service_name = "demo-app";

  litetrace::TracerProvider provider(options);
  litetrace::Tracer tracer = provider.tracer("single_span_demo", LITETRACE_VERSION_STRING);

  std::string trace_id;
  {
    litetrace::Span span = tracer.start_span("demo-operation");
    trace_id = span.context().trace_id_hex();
    std::printf("Performing some operation...\n");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }  // the span ends here

  const bool flushed = provider.shutdown();
  const litetrace::TracerStats s = provider.stats();
  std::printf("Trace id:  %s\n", trace_id.c_str());
  const bool otlp = options.exporter == litetrace::TracesExporter::kOtlp;  // OTEL_TRACES_EXPORTER=otlp
  const bool jaeger_http = options.exporter == litetrace::TracesExporter::kJaeger &&
                           options.jaeger_protocol == litetrace::JaegerProtocol::kHttpThriftBinary;
  const bool zipkin = options.exporter == litetrace::TracesExporter::kZipkin;  // OTEL_TRACES_EXPORTER=zipkin
  if (otlp || jaeger_http || zipkin) {
    std::printf("Sent:      %llu span(s) in %llu request(s), %llu bytes, over %s to %s%s\n",
                static_cast<unsigned long long>(s.spans_exported), static_cast<unsigned long long>(s.requests_sent),
                static_cast<unsigned long long>(s.bytes_sent), otlp ? "OTLP/HTTP" : zipkin ? "Zipkin JSON" : "HTTP",
                otlp     ? options.otlp_endpoint.c_str()
                : zipkin ? options.zipkin_endpoint.c_str()
                         : options.jaeger_endpoint.c_str(),
                flushed ? " (the collector took it)" : " - NOT everything was delivered");
    if (zipkin) std::printf("Zipkin UI: http://localhost:9411/zipkin/traces/%s\n", trace_id.c_str());
    std::printf("Jaeger UI: http://localhost:16686/trace/%s\n", trace_id.c_str());
    return flushed ? 0 : 1;
  }
  if (options.exporter == litetrace::TracesExporter::kConsole) {  // OTEL_TRACES_EXPORTER=console
    std::printf("Printed:   %llu span(s) on stderr%s\n", static_cast<unsigned long long>(s.spans_exported),
                flushed ? "" : " - NOT everything was printed");
    return flushed ? 0 : 1;
  }
  std::printf("Sent:      %llu span(s) in %llu packet(s), %llu bytes, to %s (agent %s:%u)%s\n",
              static_cast<unsigned long long>(s.spans_exported), static_cast<unsigned long long>(s.packets_sent),
              static_cast<unsigned long long>(s.bytes_sent),
              provider.agent_address().empty() ? "nowhere" : provider.agent_address().c_str(),
              options.agent_host.c_str(), options.agent_port, flushed ? "" : " - NOT everything was sent");
  std::printf("Jaeger UI: http://localhost:16686/trace/%s\n", trace_id.c_str());
  std::printf("(UDP does not confirm delivery: run Jaeger, or ./build/tools/litetrace-dump, to see it arrive)\n");
  return flushed ? 0 : 1;
}
