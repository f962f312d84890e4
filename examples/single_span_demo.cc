// The classic single-span walk-through, in C++: service "demo-app", one span
// "demo-operation" that lasts a second, and a shutdown that flushes it to Jaeger.
//
// Honours OTEL_SERVICE_NAME, OTEL_EXPORTER_JAEGER_AGENT_HOST and
// OTEL_EXPORTER_JAEGER_AGENT_PORT. Watch it arrive in Jaeger
// (docker run --rm -p 16686:16686 -p 6831:6831/udp jaegertracing/all-in-one:latest)
// or in a second terminal with ./build/tools/litetrace-dump.

#include <litetrace/trace.h>
#include <litetrace/version.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

int main() {
  litetrace::TracerProviderOptions options;
  options.service_name = env_or("OTEL_SERVICE_NAME", "demo-app");
  options.agent_host = env_or("OTEL_EXPORTER_JAEGER_AGENT_HOST", "localhost");
  const std::string port = env_or("OTEL_EXPORTER_JAEGER_AGENT_PORT", "6831");
  char* end = nullptr;
  const long parsed = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || parsed <= 0 || parsed > 65535) {
    std::fprintf(stderr, "OTEL_EXPORTER_JAEGER_AGENT_PORT=%s is not a port; using 6831\n", port.c_str());
  } else {
    options.agent_port = static_cast<uint16_t>(parsed);
  }

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
  std::printf("Sent:      %llu span(s) in %llu packet(s), %llu bytes, to %s (agent %s:%u)%s\n",
              static_cast<unsigned long long>(s.spans_exported), static_cast<unsigned long long>(s.packets_sent),
              static_cast<unsigned long long>(s.bytes_sent),
              provider.agent_address().empty() ? "nowhere" : provider.agent_address().c_str(),
              options.agent_host.c_str(), options.agent_port, flushed ? "" : " - NOT everything was sent");
  std::printf("Jaeger UI: http://localhost:16686/trace/%s\n", trace_id.c_str());
  std::printf("(UDP does not confirm delivery: run Jaeger, or ./build/tools/litetrace-dump, to see it arrive)\n");
  return flushed ? 0 : 1;
}
