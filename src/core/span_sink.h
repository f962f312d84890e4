#pragma once

// Where finished spans go. The batcher hands every span record (span_record.h) to one
// sink, chosen by TracerProviderOptions::exporter; the sink maps it to its wire format and
// delivers it: jaeger/jaeger_sink.h (compact Thrift over UDP), or DiscardingSink below
// ("none").
//
// Every span handed to add() ends up counted exactly once in SinkStats: exported, failed,
// too large or discarded, or still pending until the sink has delivered it.
//
// Thread: add(), flush() and set_full_queue_dropped() from the batcher only; stats() and
// peer() from any thread.

#include <atomic>
#include <cstdint>
#include <string>

namespace litetrace::detail {

struct SinkStats {
  uint64_t spans_exported = 0;   // delivered: in a datagram the kernel accepted
  uint64_t spans_failed = 0;     // could not be delivered
  uint64_t spans_too_large = 0;  // larger than the wire allows even when trimmed
  uint64_t spans_discarded = 0;  // the exporter is "none"
  uint64_t spans_pending = 0;    // held until the next flush()
  uint64_t spans_trimmed = 0;    // among the exported: trimmed to fit
  uint64_t packets_sent = 0;
  uint64_t packets_failed = 0;
  uint64_t bytes_sent = 0;
};

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  // One span record, valid during the call.
  virtual void add(const uint8_t* record) = 0;
  // Hands on whatever add() holds back (a partly filled packet).
  virtual void flush() = 0;
  // The application side's count of spans dropped on a full ring, for sinks whose wire
  // format carries it (Jaeger's ClientStats).
  virtual void set_full_queue_dropped(uint64_t) {}
  virtual SinkStats stats() const = 0;
  // Where spans go, e.g. "127.0.0.1:6831"; empty when nowhere (yet).
  virtual std::string peer() const { return {}; }
};

// OTEL_TRACES_EXPORTER=none: spans are recorded (their contexts propagate, samplers run)
// and then dropped here, counted as discarded.
class DiscardingSink final : public SpanSink {
 public:
  void add(const uint8_t*) override {
    discarded_.store(discarded_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void flush() override {}
  SinkStats stats() const override {
    SinkStats s;
    s.spans_discarded = discarded_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::atomic<uint64_t> discarded_{0};  // one writer (the batcher); relaxed readers
};

}  // namespace litetrace::detail
