// litetrace on one side of a propagated call, for the interop test with other clients.
//
//   propagation_peer inject FORMAT PORT    starts span "litetrace-client" and prints the
//                                          headers it injects ("name: value" lines)
//   propagation_peer extract FORMAT PORT   reads such lines on stdin and starts span
//                                          "litetrace-server" as the extracted context's child
//
// FORMAT is an OTEL_PROPAGATORS list (jaeger, b3multi, tracecontext, ...). Spans go to
// 127.0.0.1:PORT; the program exits 0 only when they all reached the socket.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "litetrace/propagation.h"
#include "litetrace/trace.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: propagation_peer inject|extract FORMAT PORT\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  const std::string mode = argv[1];
  std::string error;
  const auto propagator = litetrace::make_propagator(argv[2], &error);
  if (propagator == nullptr) {
    std::fprintf(stderr, "propagation_peer: %s\n", error.c_str());
    return 2;
  }
  litetrace::TracerProviderOptions options;
  options.service_name = "litetrace-peer";
  options.agent_host = "127.0.0.1";
  options.agent_port = static_cast<uint16_t>(std::atoi(argv[3]));
  litetrace::TracerProvider provider(options);
  litetrace::Tracer tracer = provider.tracer("propagation_peer");

  if (mode == "inject") {
    litetrace::StartSpanOptions so;
    so.kind = litetrace::SpanKind::kClient;
    litetrace::Span span = tracer.start_span("litetrace-client", so);
    std::vector<std::pair<std::string, std::string>> headers;
    litetrace::inject_into(*propagator, litetrace::PropagationContext(span.context()), headers);
    for (const auto& [name, value] : headers) std::cout << name << ": " << value << "\n";
  } else if (mode == "extract") {
    std::vector<std::pair<std::string, std::string>> headers;
    for (std::string line; std::getline(std::cin, line);) {
      const size_t colon = line.find(": ");
      if (colon != std::string::npos) headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
    const litetrace::PropagationContext incoming = litetrace::extract_from(*propagator, headers);
    if (!incoming.valid()) {
      std::fprintf(stderr, "propagation_peer: no valid context in the headers\n");
      return 1;
    }
    litetrace::StartSpanOptions so;
    so.kind = litetrace::SpanKind::kServer;
    so.parent = incoming.span_context;
    tracer.start_span("litetrace-server", so).end();
  } else {
    return usage();
  }
  const bool flushed = provider.shutdown();
  const litetrace::TracerStats stats = provider.stats();
  return flushed && stats.spans_exported == 1 ? 0 : 1;
}
