#pragma once

// The Jaeger sinks over UDP: span records -> emitBatch datagrams to the agent (exporter.h).
//
// JaegerSink, compact Thrift (the agent's port 6831, the default): every record is written
// by the record encoder (record_encoder.h), straight into a packet when it can, else aside
// (arrays as strings, trimmed to fit a packet); the Jaeger view is not used, so a program
// linked lean does not link it. JaegerBinarySink, binary Thrift (port 6832, linked with the
// other exporters, exporters.cc): the same, by the encoder's encode_binary().
//
// Thread: as SpanSink.

#include <cstdint>
#include <string>

#include "core/compiler.h"
#include "core/diagnostic_reporter.h"
#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "jaeger/exporter.h"
#include "jaeger/record_encoder.h"

namespace litetrace::detail {

// A sink's statistics, from its exporter's.
LITETRACE_COLD inline SinkStats sink_stats(const Exporter& exporter) {
  const ExporterStats e = exporter.stats();
  SinkStats s;
  s.spans_exported = e.spans_sent;
  s.spans_failed = e.spans_failed;
  s.spans_too_large = e.spans_too_large;
  s.spans_pending = e.spans_pending;
  s.spans_trimmed = e.spans_trimmed;
  s.packets_sent = e.packets_sent;
  s.packets_failed = e.packets_failed;
  s.bytes_sent = e.bytes_sent;
  return s;
}

// The exporter is a member of each Jaeger sink, not of a base class they share: a base
// class's vtable (and its typeinfo and their relocations) was linked for the moment its
// destructor runs, 0.6 KB of a lean program.
template <bool kBinary>
class JaegerRecordSink final : public SpanSink {
 public:
  // `clock` and `reporter` must outlive the sink; the Process is encoded once, here.
  // `options.protocol` must be binary Thrift for kBinary, else compact.
  LITETRACE_COLD JaegerRecordSink(const ExporterOptions& options, const Process& process, const TickConverter* clock,
                                  DiagnosticReporter* reporter)
      : exporter_(options, process, reporter), encoder_(clock) {
    exporter_.set_record_encoder(&encoder_);
  }

  // Out of line, so that the batcher's call (devirtualized by GCC) does not take a second
  // copy of add(): its one copy is inlined into this loop (add_each).
  LITETRACE_NOINLINE size_t add_run(const uint8_t*& at, const uint8_t* end, size_t max,
                                    RecordNormalizer& rules) override {
    return add_each(*this, at, end, max, rules);
  }
  // One record, as add_run() takes each. It is checked against the rules as it is encoded;
  // one that does not keep them is made to keep them, then written aside.
  LITETRACE_ALWAYS_INLINE void add(const uint8_t* record, RecordNormalizer& rules) {
    if (!exporter_.template add_record<kBinary>(record, encoder_, rules.limits())) {
      exporter_.add_record_aside(rules.normalize(record));
    }
  }
  void flush() override { exporter_.flush(); }
  void set_full_queue_dropped(uint64_t n) override { exporter_.set_full_queue_dropped(static_cast<int64_t>(n)); }
  SinkStats stats() const override { return sink_stats(exporter_); }
  std::string peer() const override { return exporter_.peer(); }

 private:
  Exporter exporter_;
  RecordEncoder encoder_;
};
using JaegerSink = JaegerRecordSink<false>;
using JaegerBinarySink = JaegerRecordSink<true>;

// Binary Thrift over UDP (exporters.cc makes it).
std::unique_ptr<SpanSink> make_jaeger_binary_sink(const ExporterOptions& options, const Process& process,
                                                  const TickConverter* clock, DiagnosticReporter* reporter);

}  // namespace litetrace::detail
