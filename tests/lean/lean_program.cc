// Built twice: linked the default way (every exporter) and lean (LITETRACE_LEAN: Jaeger's
// agent over UDP only; src/pipeline/exporters.h). Asks for Zipkin, records one span, and
// says what happened: with every exporter, Zipkin (its server is absent, so the span fails
// and is counted); lean, a diagnostic that Zipkin is not linked and the span at the agent.
//
//   lean_program lean|full     exits 0 when what happened is what that build should do

#include <cstdio>
#include <string>
#include <vector>

#include "litetrace/trace.h"
#include "support/udp_receiver.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const bool lean = std::string(argv[1]) == "lean";
  litetrace::test::UdpReceiver agent;
  std::vector<std::string> not_linked;
  litetrace::TracerProviderOptions options;
  options.service_name = "lean-test";
  options.exporter = litetrace::TracesExporter::kZipkin;
  options.zipkin_endpoint = "http://127.0.0.1:1/api/v2/spans";  // nothing listens there
  options.zipkin_timeout = std::chrono::milliseconds(200);
  options.agent_host = "127.0.0.1";
  options.agent_port = agent.port();
  options.on_diagnostic = [&](const litetrace::Diagnostic& d) {
    const std::string message(d.message);
    if (d.code == litetrace::DiagnosticCode::kInvalidOption && message.find("not linked") != std::string::npos) {
      not_linked.push_back(message);
    }
  };
  litetrace::TracerProvider provider(options);
  provider.tracer("lean").start_span("lean-span").end();
  provider.shutdown();
  const litetrace::TracerStats stats = provider.stats();
  const std::string datagram = agent.receive(std::chrono::milliseconds(lean ? 5000 : 200));
  std::printf("%s: %zu diagnostic(s) saying not linked, exported %llu, failed %llu, %zu bytes at the agent\n",
              argv[1], not_linked.size(), static_cast<unsigned long long>(stats.spans_exported),
              static_cast<unsigned long long>(stats.spans_failed), datagram.size());
  if (lean) {
    return not_linked.size() == 1 && stats.spans_exported == 1 && datagram.find("lean-span") != std::string::npos ? 0 : 1;
  }
  return not_linked.empty() && stats.spans_failed == 1 && datagram.empty() ? 0 : 1;
}
