#pragma once

// An HTTP exporter's sink: span records -> requests in some wire format -> POST {endpoint},
// on a sender thread of its own, so a slow or absent server never holds up the batcher.
// The wire format (HttpRequestFormat) encodes the spans and reads the server's answers:
// OTLP (otlp/otlp_format.h), Jaeger's collector (jaeger/jaeger_http_format.h).
//
//   batcher: add(record) -> format (map and encode the span) -> max_batch_spans, or the
//            format's byte bound? the request around the spans -> queue (bounded)
//   sender:  queue -> HttpConnection (keep-alive) -> 2xx / retry / give up
//
// - A full queue drops the new request's spans and counts them (spans_dropped_queue). A
//   request that finds the queue full when its first span comes is not encoded at all:
//   under overload the batcher's time goes to draining the rings.
// - 2xx is success; the spans a server says it rejected (OTLP partial_success) count as
//   rejected, the rest as exported. Connection failures, and the statuses the format calls
//   retryable, are retried with exponential backoff and jitter, or after Retry-After
//   (seconds), within `timeout` of the first attempt; every other status is permanent. A
//   request that fails for good counts its spans as failed, and says why (the server's
//   message with it).
// - wait_delivered(): the batcher's force_flush and shutdown wait, up to their timeout,
//   until every request handed to the queue before the call has been answered or given up.
//
// Thread: as SpanSink; the sender thread is internal.

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/diagnostic_reporter.h"
#include "core/span_sink.h"
#include "core/byte_buffer.h"
#include "transport/http_client.h"

namespace litetrace::detail {

// A wire format: how spans become a request body, and what the server's answers mean.
//
// Thread: the batcher calls add(), build() and clear(); the sender thread calls the const
// members, which must not touch what add() changes.
class HttpRequestFormat {
 public:
  enum class Added {
    kAdded,
    kFull,      // the request cannot take it: send the request, then add the span again
    kTooLarge,  // no request can take it: dropped and counted (spans_too_large)
    kFailed,    // it could not be encoded (a litetrace bug): counted as failed
  };

  virtual ~HttpRequestFormat() = default;
  // Maps and encodes one span record, valid during the call only, that keeps the attribute
  // rules (RecordNormalizer made it so).
  virtual Added add(const uint8_t* record) = 0;
  // The same for a record as the ring holds it, for a format that checks the rules as it
  // encodes (checks_rules()): one that keeps them is taken as it is. The others are given
  // the rules' normalized record, with no call between.
  virtual Added add_ring_record(const uint8_t* record, RecordNormalizer& rules) {
    return add(rules.normalize(record));
  }
  bool checks_rules() const { return checks_rules_; }
  virtual size_t spans() const = 0;
  // The request over every span added since clear(), into `body`, which is empty; false if
  // it could not be encoded. A format may hand its own buffer over (HandedBuffer): only
  // clear() may follow.
  virtual bool build(ByteBuffer& body) = 0;
  virtual void clear() = 0;

  virtual std::string_view content_type() const = 0;
  // Worth another attempt (connection failures always are).
  virtual bool retryable(int status) const = 0;
  // Of a 2xx answer: how many spans the server says it rejected, and why.
  virtual uint64_t rejected(const HttpResponse& response, std::string* message) const = 0;
  // What the server says in the body of an answer that is not 2xx.
  virtual std::string server_message(const HttpResponse& response) const = 0;

 protected:
  bool checks_rules_ = false;  // set by a format that overrides add_ring_record()
};

struct HttpExportOptions {
  HttpUrl url;
  std::string endpoint;  // as configured, for diagnostics
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};  // one export: its first attempt to its last
  size_t max_batch_spans = 512;
  size_t max_queued_requests = 16;
  // Backoff between attempts: initial, doubling, at most max; each with jitter of up to a
  // half.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  Resolver resolver;  // empty: getaddrinfo (resolver.h)
  const char* thread_name = "litetrace-http";  // at most 15 characters
};

// The text at the start of a body, control characters blanked: a server's message when
// the format knows no better.
std::string body_text(const HttpResponse& response, size_t max = 200);

class HttpExportSink final : public SpanSink {
 public:
  // Diagnostics go to `callback`, from the batcher and from the sender thread.
  HttpExportSink(HttpExportOptions options, std::unique_ptr<HttpRequestFormat> format,
                 const DiagnosticCallback& callback);
  ~HttpExportSink() override;

  size_t add_run(const uint8_t*& at, const uint8_t* end, size_t max, RecordNormalizer& rules) override {
    return add_each(*this, at, end, max, rules);
  }
  // One record, as add_run() takes each.
  void add(const uint8_t* record, RecordNormalizer& rules);
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
  static void* sender_main(void* sink) noexcept;  // an exception there ends the program, as under std::thread
  void run();
  void deliver(Request& request);
  Outcome answer(const HttpResponse& response, const Request& request, std::string* why);
  std::chrono::milliseconds delay_before(int attempt, const HttpResponse* response);
  static void bump(std::atomic<uint64_t>& counter, uint64_t n) { counter.fetch_add(n, std::memory_order_relaxed); }

  HttpExportOptions options_;
  std::unique_ptr<HttpRequestFormat> format_;
  // The request being dropped unbuilt (the queue was full when it began): its spans so far.
  bool skipping_ = false;
  uint64_t skipped_ = 0;
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
  // pthread_create(), not std::thread: a thread that cannot start is reported, and its
  // requests counted as failed, not thrown out of the provider's constructor.
  pthread_t sender_{};
  bool sender_running_ = false;  // until close() joins it

  std::atomic<uint64_t> spans_exported_{0};
  std::atomic<uint64_t> spans_failed_{0};
  std::atomic<uint64_t> spans_too_large_{0};
  std::atomic<uint64_t> spans_rejected_{0};
  std::atomic<uint64_t> spans_dropped_queue_{0};
  std::atomic<uint64_t> spans_pending_{0};
  std::atomic<uint64_t> requests_sent_{0};
  std::atomic<uint64_t> requests_retried_{0};
  std::atomic<uint64_t> requests_failed_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  uint64_t jitter_state_;
};

}  // namespace litetrace::detail
