#pragma once

// The OTLP/HTTP sink: span records -> OTLP requests (protobuf or JSON) -> POST {endpoint},
// on a sender thread of its own ("litetrace-otlp"), so a slow or absent collector never
// holds up the batcher.
//
//   batcher: add(record) -> RequestBuilder (map and encode the span) -> max_batch_spans?
//            the request around the spans -> queue (bounded)
//   sender:  queue -> HttpConnection (keep-alive) -> 2xx / retry / give up
//
// - A full queue drops the new request's spans and counts them (spans_dropped_queue). A
//   request that finds the queue full when its first span comes is not encoded at all:
//   under overload the batcher's time goes to draining the rings.
// - 2xx is success; the spans a server lists in partial_success.rejected_spans count as
//   rejected, the rest as exported. 429, 502, 503, 504 and connection failures are
//   retried with exponential backoff and jitter, or after Retry-After (seconds), within
//   `timeout` of the first attempt; every other status is permanent. A request that fails
//   for good counts its spans as failed, and says why (the server's message with it).
// - wait_delivered(): the batcher's force_flush and shutdown wait, up to their timeout,
//   until every request handed to the queue before the call has been answered or given up.
//
// Thread: as SpanSink; the sender thread is internal.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/diagnostic_reporter.h"
#include "core/span_sink.h"
#include "core/tick_clock.h"
#include "otlp/otlp_mapper.h"
#include "transport/http_client.h"

namespace litetrace::detail::otlp {

struct SinkOptions {
  HttpUrl url;
  std::string endpoint;  // as configured, for diagnostics
  bool json = false;     // http/json, else http/protobuf
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};  // one export: its first attempt to its last
  size_t max_batch_spans = 512;
  size_t max_queued_requests = 16;
  // The Resource: service.name, then these.
  std::string service_name;
  std::vector<std::pair<std::string, std::string>> resource_attributes;
  // Backoff between attempts: initial, doubling, at most max; each with jitter of up to a
  // half.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  Resolver resolver = resolve_with_getaddrinfo;
};

class HttpSink final : public SpanSink {
 public:
  // `clock` must outlive the sink; diagnostics go to `callback` (from the batcher and from
  // the sender thread).
  HttpSink(SinkOptions options, const TickConverter* clock, const DiagnosticCallback& callback);
  ~HttpSink() override;

  void add(const uint8_t* record) override;
  void flush() override;
  bool wait_delivered(std::chrono::steady_clock::time_point deadline) override;
  void close() override;
  SinkStats stats() const override;
  std::string peer() const override { return options_.endpoint; }

 private:
  struct Request {
    ByteBuffer body;
    uint64_t spans = 0;
    uint64_t sequence = 0;
  };
  enum class Outcome { kDelivered, kRetry, kFailed };

  bool queue_full();
  void enqueue();
  void drop(uint64_t spans);  // counted and reported: the export queue was full
  void drop_skipped();
  void run();
  void deliver(Request& request);
  Outcome answer(const HttpResponse& response, const Request& request, std::string* why);
  std::chrono::milliseconds delay_before(int attempt, const HttpResponse* response);
  static void bump(std::atomic<uint64_t>& counter, uint64_t n) { counter.fetch_add(n, std::memory_order_relaxed); }

  SinkOptions options_;
  RequestBuilder builder_;
  // The request being dropped unbuilt (the queue was full when it began): its spans so far.
  bool skipping_ = false;
  uint64_t skipped_ = 0;
  std::vector<std::string> resource_strings_;  // what resource_ points into
  std::vector<KeyValue> resource_;
  std::vector<HttpHeader> headers_;
  DiagnosticReporter batcher_reporter_;  // the batcher's own: reporters are single-threaded
  DiagnosticReporter sender_reporter_;

  std::mutex mutex_;
  std::condition_variable work_;       // the sender waits for requests, or to stop
  std::condition_variable delivered_;  // wait_delivered() waits for the sender
  std::deque<Request> queue_;
  uint64_t queued_sequence_ = 0;     // the last request queued
  uint64_t delivered_sequence_ = 0;  // requests up to this one are answered or given up
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // aborts a request in flight
  std::thread sender_;

  std::atomic<uint64_t> spans_exported_{0};
  std::atomic<uint64_t> spans_failed_{0};
  std::atomic<uint64_t> spans_rejected_{0};
  std::atomic<uint64_t> spans_dropped_queue_{0};
  std::atomic<uint64_t> spans_pending_{0};
  std::atomic<uint64_t> requests_sent_{0};
  std::atomic<uint64_t> requests_retried_{0};
  std::atomic<uint64_t> requests_failed_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  uint64_t jitter_state_;
};

}  // namespace litetrace::detail::otlp
