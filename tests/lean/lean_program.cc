// Built twice: linked the default way (every exporter) and lean (LITETRACE_LEAN: Jaeger's
// agent over UDP in compact Thrift only; src/pipeline/exporters.h). Asks for an exporter the
// lean build does not have, records one span, and says what happened:
//  - zipkin: with every exporter, Zipkin (its server is absent, so the span fails and is
//    counted); lean, a diagnostic that Zipkin is not linked and the span at the agent.
//  - binary: Jaeger's agent in binary Thrift. With every exporter, a binary emitBatch at the
//    agent; lean, a diagnostic that it is not linked and a compact emitBatch at the agent.
//  - none: in both builds, the span counted as discarded and nothing at the agent (the
//    batcher discards without a sink; no build falls back to sending).
//
//   lean_program lean|full zipkin|binary|none     exits 0 when what happened is what that build should do

#include <cstdio>
#include <string>
#include <vector>

#include "litetrace/trace.h"
#include "support/udp_receiver.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const bool lean = std::string(argv[1]) == "lean";
  const bool binary = std::string(argv[2]) == "binary";
  const bool none = std::string(argv[2]) == "none";
  litetrace::test::UdpReceiver agent;
  std::vector<std::string> not_linked;
  litetrace::TracerProviderOptions options;
  options.service_name = "lean-test";
  if (binary) {
    options.jaeger_protocol = litetrace::JaegerProtocol::kUdpThriftBinary;
  } else if (none) {
    options.exporter = litetrace::TracesExporter::kNone;
  } else {
    options.exporter = litetrace::TracesExporter::kZipkin;
    options.zipkin_endpoint = "http://127.0.0.1:1/api/v2/spans";  // nothing listens there
    options.zipkin_timeout = std::chrono::milliseconds(200);
  }
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
  const bool at_agent = (lean || binary) && !none;
  const std::string datagram = agent.receive(std::chrono::milliseconds(at_agent ? 30000 : 200));
  std::printf("%s %s: %zu diagnostic(s) saying not linked, exported %llu, failed %llu, discarded %llu, "
              "%zu bytes at the agent\n",
              argv[1], argv[2], not_linked.size(), static_cast<unsigned long long>(stats.spans_exported),
              static_cast<unsigned long long>(stats.spans_failed),
              static_cast<unsigned long long>(stats.spans_discarded), datagram.size());
  for (const std::string& m : not_linked) std::printf("  %s\n", m.c_str());
  if (none) {
    return not_linked.empty() && stats.spans_ended == 1 && stats.spans_discarded == 1 && stats.spans_exported == 0 &&
                   stats.spans_pending == 0 && stats.packets_sent == 0 && datagram.empty()
               ? 0
               : 1;
  }
  if (!at_agent) return not_linked.empty() && stats.spans_failed == 1 && datagram.empty() ? 0 : 1;
  const bool spans_there = stats.spans_exported == 1 && datagram.find("lean-span") != std::string::npos;
  // A binary message begins with its version word, 0x80 0x01; a compact one with 0x82.
  const bool binary_bytes = datagram.size() > 2 && datagram[0] == '\x80' && datagram[1] == '\x01';
  const bool compact_bytes = !datagram.empty() && datagram[0] == '\x82';
  if (!lean) return not_linked.empty() && spans_there && binary_bytes ? 0 : 1;
  return not_linked.size() == 1 && spans_there && (binary ? compact_bytes : true) ? 0 : 1;
}
