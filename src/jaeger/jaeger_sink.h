#pragma once

// The Jaeger sink: span records -> Jaeger spans (span_mapper.h) -> emitBatch datagrams of
// compact (or binary) Thrift over UDP to the agent (exporter.h); plain records straight to
// compact Thrift (record_encoder.h).
//
// Thread: as SpanSink.

#include <cstdint>
#include <string>

#include "core/diagnostic_reporter.h"
#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "jaeger/exporter.h"
#include "jaeger/record_encoder.h"
#include "jaeger/span_mapper.h"

namespace litetrace::detail {

class JaegerSink final : public SpanSink {
 public:
  // `clock` and `reporter` must outlive the sink; the Process is encoded once, here.
  JaegerSink(ExporterOptions options, const Process& process, const TickConverter* clock,
             DiagnosticReporter* reporter)
      : exporter_(std::move(options), process, reporter), encoder_(clock), mapper_(clock) {}

  // Plain spans go straight into a packet; the others through the Jaeger view.
  void add(const uint8_t* record) override {
    // The rules were applied: every key is met once.
    if (!exporter_.add_record(record, encoder_, {SIZE_MAX, 0})) exporter_.add(mapper_.map(record));
  }
  // A plain span is checked against the rules as it is encoded; the others, and those
  // that do not keep them, are made to keep them first.
  // (Binary Thrift spans are all mapped.)
  bool checks_rules() const override { return exporter_.protocol().compact; }
  void add_unchecked(const uint8_t* record, RecordNormalizer& rules) override {
    if (!exporter_.add_record(record, encoder_, rules.limits())) add(rules.normalize(record));
  }
  void flush() override { exporter_.flush(); }
  void set_full_queue_dropped(uint64_t n) override { exporter_.set_full_queue_dropped(static_cast<int64_t>(n)); }
  SinkStats stats() const override {
    const ExporterStats e = exporter_.stats();
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
  std::string peer() const override { return exporter_.peer(); }

 private:
  Exporter exporter_;
  RecordEncoder encoder_;
  SpanMapper mapper_;
};

}  // namespace litetrace::detail
