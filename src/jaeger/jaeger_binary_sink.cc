// Binary Thrift over UDP, for the agent's port 6832: every span record written by the
// record encoder's encode_binary() (jaeger_sink.h). Linked with the other exporters
// (exporters.cc), not into a program linked lean.

#include "jaeger/jaeger_sink.h"

namespace litetrace::detail {

std::unique_ptr<SpanSink> make_jaeger_binary_sink(const ExporterOptions& options, const Process& process,
                                                  const TickConverter* clock, DiagnosticReporter* reporter) {
  return std::make_unique<JaegerBinarySink>(options, process, clock, reporter);
}

}  // namespace litetrace::detail
