#pragma once

// The exporters beside Jaeger's agent over UDP in compact Thrift (the default) and "none",
// which the batcher always has: OTLP, Zipkin, the console, Jaeger's collector over HTTP and
// the agent's binary Thrift port (exporters.cc).
//
// The exporter is chosen at run time (TracerProviderOptions::exporter, OTEL_TRACES_EXPORTER),
// so a program has them all unless it says otherwise at link time. The batcher reaches
// exporters.cc through one weak symbol, litetrace_exporters, and the litetrace::litetrace
// CMake target and litetrace.pc link with -Wl,--undefined=litetrace_exporters, which pulls
// it in. A program linked without that flag (a target with the LITETRACE_LEAN property,
// litetrace-lean.pc) gets Jaeger over UDP in compact Thrift only, and some 200 KB less:
// choosing another exporter there is reported (kInvalidOption) and spans go to the agent over
// UDP; their endpoints are not checked. Binary Thrift over UDP falls back the same way, to
// the compact port 6831 when it was to go to the binary port 6832.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/raw_array.h"
#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "jaeger/jaeger_encoder.h"
#include "jaeger/jaeger_model.h"
#include "litetrace/trace.h"

namespace litetrace::detail {

class DiagnosticReporter;
struct ExporterOptions;

// What exporters.cc brings: the maker of every other sink, and the check of their options
// (the HTTP endpoints: a program linked lean has no use for them, nor for the URL parser).
struct LinkedExporters {
  std::unique_ptr<SpanSink> (*make_sink)(const TracerProviderOptions& options, const TickConverter* clock);
  // Each endpoint that is not a well-formed http:// URL is replaced with its default, and
  // a message saying so is added to `errors`.
  void (*check_endpoints)(TracerProviderOptions& options, std::vector<std::string>& errors);
  // Binary Thrift, for the agent's port 6832 (binary_thrift.cc), and the sink that sends
  // it: records by the record encoder's binary way (jaeger_sink.h).
  const ThriftProtocol* binary_thrift;
  std::unique_ptr<SpanSink> (*make_binary_sink)(const ExporterOptions& options, const Process& process,
                                                const TickConverter* clock, DiagnosticReporter* reporter);
};

// exporters.cc's, or nullptr when the program was linked without it.
const LinkedExporters* linked_exporters();

// "otlp", "zipkin", "console", "jaeger (http/thrift.binary)", ...: for diagnostics.
const char* exporter_name(const TracerProviderOptions& options);

// A provider's Process, for a sink to encode once: its service, its resource's attributes,
// then the SDK's own and what the Jaeger clients add about the host, each unless the
// resource gives its key. The tags point into `o`, which outlives the view, and into the
// host's name and address, which it keeps.
struct ProcessView {
  std::string host;
  std::string ip;
  RawArray<Tag> tags;  // sized once: no vector code linked for it
  Process process;
  explicit ProcessView(const TracerProviderOptions& o);
};

}  // namespace litetrace::detail

// Defined by exporters.cc; weak, so that a program linked without it still links.
extern "C" {
#if defined(__ELF__)
__attribute__((weak))
#endif
extern const litetrace::detail::LinkedExporters litetrace_exporters;
}
