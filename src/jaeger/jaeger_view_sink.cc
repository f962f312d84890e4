// Binary Thrift over UDP, for the agent's port 6832: every span record mapped to a Jaeger
// view (span_mapper.h), which the exporter encodes in binary Thrift. Linked with the other
// exporters (exporters.cc), not into a program linked lean.

#include "jaeger/jaeger_sink.h"
#include "jaeger/span_mapper.h"

namespace litetrace::detail {
namespace {

class JaegerViewSink final : public SpanSink {
 public:
  JaegerViewSink(const ExporterOptions& options, const Process& process, const TickConverter* clock,
                 DiagnosticReporter* reporter)
      : exporter_(options, process, reporter), mapper_(clock) {}

  void add(const uint8_t* record, RecordNormalizer& rules) override {
    exporter_.add(mapper_.map(rules.normalize(record)));
  }
  // As JaegerSink's (jaeger_sink.h).
  void flush() override { exporter_.flush(); }
  void set_full_queue_dropped(uint64_t n) override { exporter_.set_full_queue_dropped(static_cast<int64_t>(n)); }
  SinkStats stats() const override { return sink_stats(exporter_); }
  std::string peer() const override { return exporter_.peer(); }

 private:
  Exporter exporter_;
  SpanMapper mapper_;
};

}  // namespace

std::unique_ptr<SpanSink> make_jaeger_view_sink(const ExporterOptions& options, const Process& process,
                                                const TickConverter* clock, DiagnosticReporter* reporter) {
  return std::make_unique<JaegerViewSink>(options, process, clock, reporter);
}

}  // namespace litetrace::detail
