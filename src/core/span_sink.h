#pragma once

// Where finished spans go. The batcher hands every span record (span_record.h) to one
// sink, chosen by TracerProviderOptions::exporter; the sink maps it to its wire format and
// delivers it: jaeger/jaeger_sink.h (Thrift over UDP to the agent), the HTTP exporters'
// transport/http_export_sink.h (OTLP, Jaeger's collector) or jaeger/console_sink.h (stderr).
// With the exporter "none" there is none: the batcher counts the spans as discarded.
//
// Every span handed to add_run() ends up counted exactly once in SinkStats: exported, failed,
// too large or discarded, or still pending until the sink has delivered it.
//
// Thread: add_run(), flush() and set_full_queue_dropped() from the batcher only; stats() and
// peer() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/record_normalizer.h"
#include "core/span_ring.h"

namespace litetrace::detail {

struct SinkStats {
  uint64_t spans_exported = 0;       // delivered: a datagram the kernel accepted, a request answered 2xx
  uint64_t spans_failed = 0;         // could not be delivered
  uint64_t spans_too_large = 0;      // larger than the wire allows even when trimmed
  uint64_t spans_rejected = 0;       // the server said so (OTLP partial_success)
  uint64_t spans_dropped_queue = 0;  // the sink's own request queue was full
  uint64_t spans_discarded = 0;      // the exporter is "none"
  uint64_t spans_pending = 0;        // held in a packet, a request or the queue
  uint64_t spans_trimmed = 0;        // among the exported: trimmed to fit
  uint64_t packets_sent = 0;         // UDP
  uint64_t packets_failed = 0;
  uint64_t requests_sent = 0;        // HTTP: answered 2xx
  uint64_t requests_retried = 0;     // HTTP: attempts made again
  uint64_t requests_failed = 0;      // HTTP: given up
  uint64_t bytes_sent = 0;
};

// SpanSink::add_run() for a sink of type `Sink`, whose add(record, rules) takes one record
// (non-virtual: called directly, and inlined where the sink's code allows).
template <class Sink>
inline size_t add_each(Sink& sink, const uint8_t*& at, const uint8_t* end, size_t max, RecordNormalizer& rules) {
  const uint8_t* p = at;  // a local: the sink's stores through byte pointers might alias `at`
  size_t n = 0;
  while (p != end && n != max) {
    uint32_t size;
    std::memcpy(&size, p, sizeof size);
    if ((size & SpanRing::kPadding) != 0) break;
    sink.add(p, rules);
    p += size;
    ++n;
  }
  at = p;
  return n;
}

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  // Span records as a ring holds them, one after another from `at` (each with its size in
  // its first 4 bytes), until `end`, a padding record or `max` records; `at` is left where
  // it stopped. Returns how many it took. The records are valid during the call, the span
  // attribute rules not applied yet: the sink applies them (rules.normalize(record)), or
  // checks them as it reads a record (JaegerSink), so that a span keeping them, as most do,
  // is not read twice. One call for a run, not one per record: the sinks' add() for one
  // record is not virtual (add_each).
  virtual size_t add_run(const uint8_t*& at, const uint8_t* end, size_t max, RecordNormalizer& rules) = 0;
  // Hands on whatever add_run() holds back (a partly filled packet or request).
  virtual void flush() = 0;
  // Waits until everything handed on by flush() so far is delivered or given up, or until
  // `deadline`; true when it is. A UDP sink is done when the socket took it; an HTTP sink
  // waits for the server's answers. Any thread.
  virtual bool wait_delivered(std::chrono::steady_clock::time_point) { return true; }
  // The application side's count of spans dropped on a full ring, for sinks whose wire
  // format carries it (Jaeger's ClientStats).
  virtual void set_full_queue_dropped(uint64_t) {}
  // Ends delivery: what is still undelivered is given up and counted (an HTTP request in
  // flight is cancelled). Idempotent; the batcher calls it once it has stopped.
  virtual void close() {}
  virtual SinkStats stats() const = 0;
  // Where spans go, e.g. "127.0.0.1:6831"; empty when nowhere (yet).
  virtual std::string peer() const { return {}; }
};

}  // namespace litetrace::detail
